// One Bun.serve per bind host. An IPv6 bind host that cannot be bound (IPv6 disabled, address absent) is not
// fatal unless --strict-bind: the others serve, a warning is logged once, the listener status says so, and
// binding is retried in the background until the address appears (public agent issue #16). Any other bind
// error (port taken, IPv4 address absent) stays fatal. A port held by another instance of this agent is
// shared (port-sharing.ts: rollouts with maxSurge); held by anything else, it is a start error naming the
// likely holder.
import type { Server } from 'bun';
import type { Logger } from '../observability/logger.ts';
import type { Metrics } from '../observability/metrics.ts';
import { hostPort, isIPv6Literal } from '../shared/host-port.ts';
import { CREDENTIALS_PATH, type DataApp, type DataEnv } from './data-app.ts';
import { LISTENER_LIMITS } from './listener-limits.ts';
import { bindShared, PortTakenError } from './port-sharing.ts';

/** How often an IPv6 bind host that could not be bound is tried again. */
export const BIND_RETRY_INTERVAL_MS = 10_000;

export interface ListenerStatus {
  readonly host: string;
  readonly bound: boolean;
  readonly url: string;
  readonly error?: string;
}

export interface DataListenersOptions {
  bindHosts: readonly string[];
  port: number;
  /** Answers every request (data-app.ts). */
  app: DataApp;
  strictBind: boolean;
  logger: Logger;
  metrics: Metrics;
  retryIntervalMs?: number;
}

export interface DataListeners {
  statuses(): ListenerStatus[];
  /**
   * Keeps listening, but every answer from now on ends its connection (`Connection: close`): the handover
   * before a drain, so kept-alive clients reconnect (to another instance sharing the port) instead of sending
   * on a connection the drain is about to close.
   */
  closeAfterEachAnswer(): void;
  /**
   * Stops accepting new connections on every bound listener (open ones are served; Bun closes idle
   * keep-alive ones): the connection guard's answer to a flood. Statuses keep saying bound.
   */
  pause(): void;
  /** Binds the paused listeners again; rejects (BindError) if one cannot be, leaving the rest bound. */
  resume(): Promise<void>;
  /** Stops accepting; with `force`, also closes open connections. */
  stop(force?: boolean): Promise<void>;
}

function urlFor(host: string, port: number): string {
  return `http://${hostPort(host, port)}`;
}

/** Errors that mean "this IPv6 address is not usable here", as opposed to a real conflict. */
function isAddressUnavailable(err: unknown): boolean {
  const code = (err as { code?: unknown } | null)?.code;
  return (
    code === 'EADDRNOTAVAIL' || code === 'EAFNOSUPPORT' || code === 'EPROTONOSUPPORT' || code === 'EINVAL'
  );
}

/** What usually holds the agent's port on an EKS node when it is not another instance of this agent. */
export const PORT_TAKEN_HINT =
  "on EKS usually the managed add-on's agent (remove it first: `aws eks delete-addon --addon-name " +
  'eks-pod-identity-agent --preserve`, see "Migrating from the managed add-on" in the README) or, on an EKS ' +
  "Auto Mode node, the node's built-in agent (the DaemonSets exclude eks.amazonaws.com/compute-type=auto; " +
  "check this node's labels)";

export class BindError extends Error {
  constructor(host: string, port: number, cause: unknown) {
    const code = (cause as { code?: unknown } | null)?.code;
    const why =
      cause instanceof PortTakenError
        ? cause.holder === 'agent-without-reuseport'
          ? `${cause.message}: let it finish stopping, or roll out with maxUnavailable instead of maxSurge`
          : `${cause.message}: ${PORT_TAKEN_HINT}`
        : code === 'EADDRINUSE'
          ? `the port is already in use: ${PORT_TAKEN_HINT}`
          : code === 'EADDRNOTAVAIL'
            ? 'the address is not assigned to this host (run `initialize`)'
            : String((cause as Error)?.message ?? cause);
    super(`cannot listen on ${urlFor(host, port)}: ${why}`, { cause });
    this.name = 'BindError';
  }
}

export async function startDataListeners(options: DataListenersOptions): Promise<DataListeners> {
  const { bindHosts, port, app, strictBind, logger, metrics } = options;
  const retryIntervalMs = options.retryIntervalMs ?? BIND_RETRY_INTERVAL_MS;
  const servers = new Map<string, Server<undefined>>();
  const errors = new Map<string, string>();
  let retryTimer: ReturnType<typeof setInterval> | undefined;
  let stopped = false;

  /**
   * The request handlers of one listener. Every request goes to the one app; the Bun route on the raw target
   * only tells the app that the target was exactly CREDENTIALS_PATH (Bun resolves dot segments before
   * request.url, see data-app.ts). Each listener's two envs are built at its first request, not per request.
   */
  function handlers() {
    let exact: DataEnv | undefined;
    let other: DataEnv | undefined;
    return {
      routes: {
        [CREDENTIALS_PATH]: (req: Request, server: Server<undefined>) => {
          exact ??= { server, exactTarget: true };
          return app.fetch(req, exact);
        },
      },
      fetch: (req: Request, server: Server<undefined>) => {
        other ??= { server, exactTarget: false };
        return app.fetch(req, other);
      },
    };
  }

  /** Same answer with `Connection: close`; built only during the handover, never on the normal path. */
  const closing =
    (handler: (req: Request, server: Server<undefined>) => Response | Promise<Response>) =>
    async (req: Request, server: Server<undefined>): Promise<Response> => {
      const res = await handler(req, server);
      const headers = new Headers(res.headers);
      headers.set('connection', 'close');
      return new Response(res.body, { status: res.status, statusText: res.statusText, headers });
    };
  let handingOver = false;
  function reloadClosing(server: Server<undefined>): void {
    const { routes, fetch } = handlers();
    server.reload({
      routes: { [CREDENTIALS_PATH]: closing(routes[CREDENTIALS_PATH]) },
      fetch: closing(fetch),
      error: () => new Response(null, { status: 500, headers: { connection: 'close' } }),
    });
  }

  function bind(host: string): Promise<Server<undefined>> {
    // SO_REUSEPORT only beside another instance of this agent (port-sharing.ts): Bun would otherwise set it
    // by default, and a second program on the port would silently take part of the pods' requests.
    return bindShared(host, port, (reusePort, bindPort) =>
      Bun.serve({
        hostname: host,
        port: bindPort,
        ...LISTENER_LIMITS,
        development: false,
        reusePort,
        ...handlers(),
        error: () => new Response(null, { status: 500 }),
      }),
    );
  }

  /** Puts a freshly bound server in service; false (and it is closed) when stop() ran while it was binding. */
  function adopt(host: string, server: Server<undefined>): boolean {
    if (stopped) {
      server.stop(true);
      return false;
    }
    if (handingOver) reloadClosing(server);
    servers.set(host, server);
    return true;
  }

  async function tryBind(host: string, initial: boolean): Promise<void> {
    try {
      if (!adopt(host, await bind(host))) return;
      errors.delete(host);
      metrics.listenerUp.labels(host).set(1);
      if (!initial) logger.info({ host, port }, 'listener bound after retry');
    } catch (err) {
      if (!isIPv6Literal(host) || strictBind || !isAddressUnavailable(err))
        throw new BindError(host, port, err);
      metrics.listenerUp.labels(host).set(0);
      if (initial) {
        logger.warn(
          { host, port, code: (err as { code?: string }).code },
          'IPv6 bind host unavailable; serving the other bind hosts and retrying in the background',
        );
      }
      errors.set(host, String((err as { code?: string }).code ?? 'unavailable'));
    }
  }

  try {
    for (const host of bindHosts) await tryBind(host, true);
    if (servers.size === 0) throw new Error('no bind host could be bound');
  } catch (err) {
    for (const s of servers.values()) s.stop(true);
    throw err;
  }

  if (errors.size > 0) {
    let retrying = false;
    retryTimer = setInterval(async () => {
      if (retrying) return;
      retrying = true;
      for (const host of [...errors.keys()]) {
        if (stopped) break;
        try {
          await tryBind(host, false);
        } catch (err) {
          logger.warn({ host, err: (err as Error).message }, 'listener retry failed');
        }
      }
      retrying = false;
      if (errors.size === 0 && retryTimer) clearInterval(retryTimer);
    }, retryIntervalMs);
    retryTimer.unref?.();
  }

  const paused = new Set<string>();
  const draining: Promise<void>[] = [];

  return {
    closeAfterEachAnswer() {
      handingOver = true;
      for (const server of servers.values()) reloadClosing(server);
    },
    pause() {
      if (stopped) return;
      for (const [host, server] of servers) {
        if (paused.has(host)) continue;
        paused.add(host);
        const closing = server.stop(false).finally(() => {
          draining.splice(draining.indexOf(closing), 1);
        });
        draining.push(closing);
      }
    },
    async resume() {
      for (const host of [...paused]) {
        if (stopped) return;
        let server: Server<undefined>;
        try {
          server = await bind(host);
        } catch (err) {
          throw new BindError(host, port, err);
        }
        if (!adopt(host, server)) return;
        paused.delete(host);
      }
    },
    statuses: () =>
      bindHosts.map((host) => {
        const error = errors.get(host);
        return error === undefined
          ? { host, bound: servers.has(host), url: urlFor(host, servers.get(host)?.port ?? port) }
          : { host, bound: false, url: urlFor(host, port), error };
      }),
    async stop(force = false) {
      stopped = true;
      if (retryTimer) clearInterval(retryTimer);
      // A paused listener's server is still in the map, draining: stopping it again (forced) closes its
      // connections too.
      await Promise.all([...[...servers.values()].map((s) => s.stop(force)), ...draining]);
      servers.clear();
    },
  };
}

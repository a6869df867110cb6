// One Bun.serve per bind host. An IPv6 bind host that cannot be bound (IPv6 disabled, address absent) is not
// fatal unless --strict-bind: the others serve, a warning is logged once, the listener status says so, and
// binding is retried in the background until the address appears (public agent issue #16). Any other bind
// error (port taken, IPv4 address absent) stays fatal. A port held by another instance of this agent is
// shared (port-sharing.ts: rollouts with maxSurge); held by anything else, it is a start error naming the
// likely holder (bind-error.ts). Each Bun.serve hands every request to the one data app (data-handlers.ts).
// Just over 200 lines, most of them the comments on why each bind outcome is fatal or retried.
import type { Server } from 'bun';
import type { Logger } from '../observability/logger.ts';
import type { HttpMetrics } from '../observability/metrics.ts';
import { hostPort, isIPv6Literal } from '../shared/host-port.ts';
import { BindError, isAddressUnavailable } from './bind-error.ts';
import { retryInBackground } from './bind-retry.ts';
import type { DataApp } from './data-app.ts';
import { dataHandlers } from './data-handlers.ts';
import { LISTENER_LIMITS } from './listener-limits.ts';
import { bindShared } from './port-sharing.ts';

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
  metrics: Pick<HttpMetrics, 'listenerUp'>;
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

function listenerStatuses(
  bindHosts: readonly string[],
  port: number,
  servers: ReadonlyMap<string, Server<undefined>>,
  errors: ReadonlyMap<string, string>,
): ListenerStatus[] {
  return bindHosts.map((host) => {
    const error = errors.get(host);
    return error === undefined
      ? { host, bound: servers.has(host), url: urlFor(host, servers.get(host)?.port ?? port) }
      : { host, bound: false, url: urlFor(host, port), error };
  });
}

/** The bound servers by host and the hosts that could not be bound, with how to bind, adopt and stop them. */
function createListenerSet(options: DataListenersOptions) {
  const { port, app, strictBind, logger, metrics } = options;
  const servers = new Map<string, Server<undefined>>();
  /** Bind hosts that could not be bound (IPv6 unavailable), with the error code: retried in the background. */
  const errors = new Map<string, string>();
  let stopped = false;
  let handingOver = false;

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
        ...dataHandlers(app),
      }),
    );
  }

  /** Puts a freshly bound server in service; false (and it is closed) when stop() ran while it was binding. */
  function adopt(host: string, server: Server<undefined>): boolean {
    if (stopped) {
      server.stop(true);
      return false;
    }
    if (handingOver) server.reload(dataHandlers(app, true));
    servers.set(host, server);
    return true;
  }

  /** Binds `host`; an unavailable IPv6 host is recorded in `errors` instead of thrown (unless strict). */
  async function tryBind(host: string, initial: boolean): Promise<void> {
    if (stopped) return;
    try {
      if (!adopt(host, await bind(host))) return;
      errors.delete(host);
      metrics.listenerUp.labels(host).set(1);
      if (!initial) logger.info({ host, port }, 'listener bound after retry');
    } catch (err) {
      if (!isIPv6Literal(host) || strictBind || !isAddressUnavailable(err))
        throw new BindError(host, port, err);
      const code = (err as { code?: string }).code;
      metrics.listenerUp.labels(host).set(0);
      if (initial) {
        logger.warn(
          { host, port, code },
          'IPv6 bind host unavailable; serving the other bind hosts and retrying in the background',
        );
      }
      errors.set(host, String(code ?? 'unavailable'));
    }
  }

  return {
    servers,
    errors,
    bind,
    adopt,
    tryBind,
    get stopped() {
      return stopped;
    },
    /** From now on every answer ends its connection, on these servers and on any bound later. */
    handOver() {
      handingOver = true;
      for (const server of servers.values()) server.reload(dataHandlers(app, true));
    },
    markStopped() {
      stopped = true;
    },
  };
}

export async function startDataListeners(options: DataListenersOptions): Promise<DataListeners> {
  const { bindHosts, port, logger } = options;
  const set = createListenerSet(options);
  const { servers, errors } = set;
  try {
    for (const host of bindHosts) await set.tryBind(host, true);
    if (servers.size === 0) throw new Error('no bind host could be bound');
  } catch (err) {
    for (const s of servers.values()) s.stop(true);
    throw err;
  }
  const stopRetrying =
    errors.size === 0
      ? () => {}
      : retryInBackground(
          options.retryIntervalMs ?? BIND_RETRY_INTERVAL_MS,
          () => [...errors.keys()],
          (host) => set.tryBind(host, false),
          logger,
        );
  const paused = new Set<string>();
  const draining: Promise<void>[] = [];

  return {
    closeAfterEachAnswer: () => set.handOver(),
    pause() {
      if (set.stopped) return;
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
        if (set.stopped) return;
        const server = await set.bind(host).catch((err: unknown) => {
          throw new BindError(host, port, err);
        });
        if (!set.adopt(host, server)) return;
        paused.delete(host);
      }
    },
    statuses: () => listenerStatuses(bindHosts, port, servers, errors),
    async stop(force = false) {
      set.markStopped();
      stopRetrying();
      // A paused listener's server is still in the map, draining: stopping it again (forced) closes its
      // connections too.
      await Promise.all([...[...servers.values()].map((s) => s.stop(force)), ...draining]);
      servers.clear();
    },
  };
}

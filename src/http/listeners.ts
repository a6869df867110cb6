// One Bun.serve per bind host. An IPv6 bind host that cannot be bound (IPv6 disabled, address absent) is not
// fatal unless --strict-bind: the others serve, a warning is logged once, the listener status says so, and
// binding is retried in the background until the address appears (public agent issue #16). Any other bind
// error (port taken, IPv4 address absent) stays fatal.
import type { Server } from 'bun';
import type { Logger } from '../observability/logger.ts';
import type { Metrics } from '../observability/metrics.ts';
import type { CredentialsHandler } from './credentials-handler.ts';
import { CREDENTIALS_PATH } from './data-app.ts';

/** Keep-alive connections idle longer than this are closed (SDKs reconnect; bounds idle sockets). */
export const IDLE_TIMEOUT_SECONDS = 30;
/** GET requests carry no body; anything larger is refused before it is read. */
export const MAX_REQUEST_BODY_BYTES = 16 * 1024;
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
  credentials: CredentialsHandler;
  fallback: (req: Request) => Response | Promise<Response>;
  strictBind: boolean;
  logger: Logger;
  metrics: Metrics;
  retryIntervalMs?: number;
}

export interface DataListeners {
  statuses(): ListenerStatus[];
  /** Stops accepting; with `force`, also closes open connections. */
  stop(force?: boolean): Promise<void>;
}

function isIPv6(host: string): boolean {
  return host.includes(':');
}

function urlFor(host: string, port: number): string {
  return `http://${isIPv6(host) ? `[${host}]` : host}:${port}`;
}

/** Errors that mean "this IPv6 address is not usable here", as opposed to a real conflict. */
function isAddressUnavailable(err: unknown): boolean {
  const code = (err as { code?: unknown } | null)?.code;
  return (
    code === 'EADDRNOTAVAIL' || code === 'EAFNOSUPPORT' || code === 'EPROTONOSUPPORT' || code === 'EINVAL'
  );
}

export class BindError extends Error {
  constructor(host: string, port: number, cause: unknown) {
    const code = (cause as { code?: unknown } | null)?.code;
    const why =
      code === 'EADDRINUSE'
        ? 'the port is already in use'
        : code === 'EADDRNOTAVAIL'
          ? 'the address is not assigned to this host (run `initialize`)'
          : String((cause as Error)?.message ?? cause);
    super(`cannot listen on ${urlFor(host, port)}: ${why}`, { cause });
    this.name = 'BindError';
  }
}

export function startDataListeners(options: DataListenersOptions): DataListeners {
  const { bindHosts, port, credentials, fallback, strictBind, logger, metrics } = options;
  const retryIntervalMs = options.retryIntervalMs ?? BIND_RETRY_INTERVAL_MS;
  const servers = new Map<string, Server<undefined>>();
  const errors = new Map<string, string>();
  let retryTimer: ReturnType<typeof setInterval> | undefined;
  let stopped = false;

  function bind(host: string): Server<undefined> {
    return Bun.serve({
      hostname: host,
      port,
      idleTimeout: IDLE_TIMEOUT_SECONDS,
      maxRequestBodySize: MAX_REQUEST_BODY_BYTES,
      development: false,
      // Bun sets SO_REUSEPORT unless told not to: a second agent (say, the managed add-on still running)
      // would then bind the same port silently and take half the pods' requests. Fail instead.
      reusePort: false,
      routes: { [CREDENTIALS_PATH]: { GET: credentials } },
      fetch: fallback,
      error: () => new Response(null, { status: 500 }),
    });
  }

  function tryBind(host: string, initial: boolean): void {
    try {
      servers.set(host, bind(host));
      errors.delete(host);
      metrics.listenerUp.labels(host).set(1);
      if (!initial) logger.info({ host, port }, 'listener bound after retry');
    } catch (err) {
      if (!isIPv6(host) || strictBind || !isAddressUnavailable(err)) throw new BindError(host, port, err);
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
    for (const host of bindHosts) tryBind(host, true);
    if (servers.size === 0) throw new Error('no bind host could be bound');
  } catch (err) {
    for (const s of servers.values()) s.stop(true);
    throw err;
  }

  if (errors.size > 0) {
    retryTimer = setInterval(() => {
      for (const host of errors.keys()) {
        if (stopped) return;
        try {
          tryBind(host, false);
        } catch (err) {
          logger.warn({ host, err: (err as Error).message }, 'listener retry failed');
        }
      }
      if (errors.size === 0 && retryTimer) clearInterval(retryTimer);
    }, retryIntervalMs);
    retryTimer.unref?.();
  }

  return {
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
      await Promise.all([...servers.values()].map((s) => s.stop(force)));
      servers.clear();
    },
  };
}

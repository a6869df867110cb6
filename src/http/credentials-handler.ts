// GET /v1/credentials: the hot path. A cache hit is answered synchronously from the entry's serialised body:
// no await, no JSON work, no label lookups, no logging. Everything else goes to the async slow path.
import type { Server } from 'bun';
import { type Clock, systemTimers, type Timers } from '../clock.ts';
import type { CredentialService } from '../credentials/credential-service.ts';
import { AgentError, errorResponse, toAgentError } from '../errors.ts';
import type { Logger } from '../observability/logger.ts';
import type { HttpMetrics } from '../observability/metrics.ts';
import { isTokenTooLong, tokenTooLong } from '../shared/token-bound.ts';
import { clientAddress, createAuditSink } from './audit-log.ts';
import type { HostCheck } from './host-check.ts';
import { createMissAdmission, RATE_LIMITED_STATUS } from './miss-admission.ts';
import type { RateLimiter } from './rate-limiter.ts';

/** One Headers instance for every 200: Bun copies it into each Response (~85 ns less than an object literal). */
const JSON_HEADERS = new Headers({ 'content-type': 'application/json' });
export interface CredentialsHandlerOptions {
  service: CredentialService;
  hostCheck: HostCheck;
  metrics: Pick<HttpMetrics, 'hot' | 'httpResponse' | 'rateLimited' | 'requestsInFlight'>;
  logger: Logger;
  clock: Clock;
  /** Timers for a rate-limit hold; the system's unless a simulator runs the agent in virtual time. */
  timers?: Timers;
  /** Per-client and global limits; undefined when both are off. */
  rateLimiter?: RateLimiter | undefined;
  /** --audit-log: one info line per request (status, client, subject, hit or miss, latency). */
  audit?: boolean;
  /** Called when the agent is draining: new requests that need EKS Auth get a retryable 503. */
  isDraining?: () => boolean;
}

export type CredentialsHandler = (req: Request, server: Server<undefined>) => Response | Promise<Response>;

/** `Content-Length: 0` is tolerated (some clients send it on every request); anything else is a body. */
function hasBody(headers: Headers): boolean {
  const length = headers.get('content-length');
  return (length !== null && length !== '0') || headers.has('transfer-encoding');
}

function bodyNotAllowed(): AgentError {
  return new AgentError('BodyNotAllowed', 'GET /v1/credentials takes no request body');
}

function invalidHost(): AgentError {
  return new AgentError('InvalidHost', 'the Host header does not name an address this agent serves');
}

function missingAuthorization(): AgentError {
  return new AgentError('MissingAuthorization', 'the Authorization header is missing or empty');
}

function shuttingDown(): AgentError {
  return new AgentError('ShuttingDown', 'the agent is shutting down; retry');
}

export function createCredentialsHandler(options: CredentialsHandlerOptions): CredentialsHandler {
  const { service, hostCheck, metrics, logger, clock, rateLimiter } = options;
  const { response200, durationHit, durationMiss, durationError } = metrics.hot;
  const isDraining = options.isDraining ?? (() => false);
  const timers = options.timers ?? systemTimers;
  const hold = (ms: number) => new Promise<void>((resolve) => timers.setTimeout(resolve, ms));
  const admitMiss = rateLimiter === undefined ? undefined : createMissAdmission(rateLimiter, metrics);
  const audit = createAuditSink(logger, options.audit === true);

  function fail(req: Request, server: Server<undefined>, err: unknown, startedAt: number) {
    const e = toAgentError(err);
    if (e.code === 'InternalError')
      logger.error({ err: e.cause }, 'unexpected error answering a credentials request');
    else logger.debug({ code: e.code, status: e.status }, 'credentials request failed');
    metrics.httpResponse.labels(String(e.status)).inc();
    durationError.observe((performance.now() - startedAt) / 1000);
    audit?.(req, server, e.status, 'error', startedAt);
    return errorResponse(e);
  }

  async function slowPath(
    req: Request,
    server: Server<undefined>,
    token: string,
    client: string,
    startedAt: number,
    heldMs = 0,
  ) {
    metrics.requestsInFlight.inc();
    try {
      if (heldMs > 0) await hold(heldMs);
      const entry = await service.resolve(token, client, heldMs, req.signal);
      response200.inc();
      durationMiss.observe((performance.now() - startedAt) / 1000);
      audit?.(req, server, 200, 'miss', startedAt, entry);
      return new Response(entry.body, { headers: JSON_HEADERS });
    } catch (err) {
      return fail(req, server, err, startedAt);
    } finally {
      metrics.requestsInFlight.dec();
    }
  }

  return function credentialsHandler(req, server) {
    const startedAt = performance.now();
    const headers = req.headers;
    if (!hostCheck(headers.get('host'), server.port as number))
      return fail(req, server, invalidHost(), startedAt);
    // A GET carries no body; Bun's maxRequestBodySize does not cover native routes (a 1 MB body was read
    // and answered 200). Refused before the cache, so a hit cannot carry one either.
    if (hasBody(headers)) return fail(req, server, bodyNotAllowed(), startedAt);
    const token = headers.get('authorization');
    if (!token) return fail(req, server, missingAuthorization(), startedAt);
    if (isTokenTooLong(token)) return fail(req, server, tokenTooLong(), startedAt);
    const entry = service.lookup(token);
    if (entry !== undefined) {
      response200.inc();
      durationHit.observe((performance.now() - startedAt) / 1000);
      audit?.(req, server, 200, 'hit', startedAt, entry);
      return new Response(entry.body, { headers: JSON_HEADERS });
    }
    // Limits apply to work only: a miss that starts token checks, signature checks and an EKS Auth call.
    // Refusing a hit costs as much as serving it (measured: 591k refusals vs 643k 200s in the same 5.5 s),
    // and looking up the client's address on every hit cost 18-25% of hit throughput. A miss that joins a
    // resolution in progress, or whose failure is remembered, costs nothing either (300 requests of one pod
    // with one token are one call, and must all be answered).
    const client = clientAddress(req, server);
    let heldMs = 0;
    if (admitMiss !== undefined && !service.costsNothing(token)) {
      const admission = admitMiss(client, clock.monotonic());
      if (typeof admission !== 'number') {
        audit?.(req, server, RATE_LIMITED_STATUS, 'error', startedAt);
        return admission;
      }
      heldMs = admission;
    }
    if (isDraining()) return fail(req, server, shuttingDown(), startedAt);
    return slowPath(req, server, token, client, startedAt, heldMs);
  };
}

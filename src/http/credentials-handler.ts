// GET /v1/credentials: the hot path. A cache hit is answered synchronously from the entry's serialised body:
// no await, no JSON work, no label lookups, no logging. Everything else goes to the async slow path.
import type { Server } from 'bun';
import { type Clock, systemTimers, type Timers } from '../clock.ts';
import type { CredentialService } from '../credentials/credential-service.ts';
import type { CredentialEntry } from '../credentials/entry.ts';
import { AgentError, ERROR_SPECS, errorBody, errorResponse, toAgentError } from '../errors.ts';
import type { Logger } from '../observability/logger.ts';
import type { Metrics } from '../observability/metrics.ts';
import { isTokenTooLong, tokenTooLong } from '../shared/token-bound.ts';
import type { HostCheck } from './host-check.ts';
import type { RateLimiter } from './rate-limiter.ts';

/** One Headers instance for every 200: Bun copies it into each Response (~85 ns less than an object literal). */
const JSON_HEADERS = new Headers({ 'content-type': 'application/json' });
/** 503 with Retry-After: every SDK retries a 503 (Java v2, Rust, PHP and the Ruby chain never retry 429). */
const RATE_LIMITED_HEADERS = { 'content-type': 'application/json', 'retry-after': '1' } as const;
/**
 * A miss just over its client's rate waits up to this long for its token instead of being refused: every SDK
 * copes with a slow answer (PHP retries nothing else), and 300 pods starting behind one address are served.
 * It comes off the request's patience, so a held miss still answers within Rust's 5 s read timeout.
 */
export const RATE_LIMIT_HOLD_MS = 1_000;
/** Refusals are fixed bytes: a flood of misses is answered as cheaply as possible. */
const RATE_LIMITED_BODY = {
  client: errorBody('TooManyRequests', 'rate limit exceeded for this client; retry after a second'),
  global: errorBody('TooManyRequests', 'rate limit exceeded for this agent; retry after a second'),
} as const;

export interface CredentialsHandlerOptions {
  service: CredentialService;
  hostCheck: HostCheck;
  metrics: Metrics;
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

type Outcome = 'hit' | 'miss' | 'error';
type AuditSink = (
  req: Request,
  server: Server<undefined>,
  status: number,
  outcome: Outcome,
  startedAt: number,
  entry?: CredentialEntry,
) => void;

/** `Content-Length: 0` is tolerated (some clients send it on every request); anything else is a body. */
function hasBody(headers: Headers): boolean {
  const length = headers.get('content-length');
  return (length !== null && length !== '0') || headers.has('transfer-encoding');
}

function bodyNotAllowed(): AgentError {
  return new AgentError('BodyNotAllowed', 'GET /v1/credentials takes no request body');
}

function clientAddress(req: Request, server: Server<undefined>): string {
  return server.requestIP(req)?.address ?? 'unknown';
}

export function createCredentialsHandler(options: CredentialsHandlerOptions): CredentialsHandler {
  const { service, hostCheck, metrics, logger, clock, rateLimiter } = options;
  const { response200, durationHit, durationMiss, durationError } = metrics.hot;
  const isDraining = options.isDraining ?? (() => false);
  const timers = options.timers ?? systemTimers;
  const hold = (ms: number) => new Promise<void>((resolve) => timers.setTimeout(resolve, ms));
  const rateLimitedClient = metrics.rateLimited.labels('client');
  const rateLimitedGlobal = metrics.rateLimited.labels('global');
  const rateLimitedStatus = ERROR_SPECS.TooManyRequests.status;
  const rateLimitedResponses = metrics.httpResponse.labels(String(rateLimitedStatus));
  // Chosen once: without --audit-log the hot path never builds an audit record.
  const audit: AuditSink | undefined = options.audit
    ? (req, server, status, outcome, startedAt, entry) =>
        logger.info(
          {
            audit: true,
            status,
            client: clientAddress(req, server),
            subject: entry?.subject,
            pod: entry?.pod,
            cache: outcome,
            latencyMs: Math.round((performance.now() - startedAt) * 1000) / 1000,
          },
          'credentials request',
        )
    : undefined;

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
      const entry = await service.resolve(token, client, heldMs);
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
    if (!hostCheck(headers.get('host'), server.port as number)) {
      const e = new AgentError('InvalidHost', 'the Host header does not name an address this agent serves');
      return fail(req, server, e, startedAt);
    }
    // A GET carries no body; Bun's maxRequestBodySize does not cover native routes (a 1 MB body was read
    // and answered 200). Refused before the cache, so a hit cannot carry one either.
    if (hasBody(headers)) return fail(req, server, bodyNotAllowed(), startedAt);
    const token = headers.get('authorization');
    if (!token) {
      return fail(
        req,
        server,
        new AgentError('MissingAuthorization', 'the Authorization header is missing or empty'),
        startedAt,
      );
    }
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
    if (rateLimiter !== undefined && !service.costsNothing(token)) {
      const decision = rateLimiter.take(client, clock.monotonic(), RATE_LIMIT_HOLD_MS);
      if (typeof decision === 'number') heldMs = decision;
      else if (decision !== 'ok') {
        (decision === 'client' ? rateLimitedClient : rateLimitedGlobal).inc();
        rateLimitedResponses.inc();
        audit?.(req, server, rateLimitedStatus, 'error', startedAt);
        return new Response(RATE_LIMITED_BODY[decision], {
          status: rateLimitedStatus,
          headers: RATE_LIMITED_HEADERS,
        });
      }
    }
    if (isDraining())
      return fail(
        req,
        server,
        new AgentError('ShuttingDown', 'the agent is shutting down; retry'),
        startedAt,
      );
    return slowPath(req, server, token, client, startedAt, heldMs);
  };
}

// Whether a cache miss may start work now: the per-client and global rate limits (rate-limiter.ts) turned into
// an answer. A miss just over its client's rate is held for a token due soon; beyond that it gets a fixed
// 503 with Retry-After. Hits never come here: refusing one would cost as much as serving it.
import { ERROR_SPECS, errorBody } from '../errors.ts';
import type { HttpMetrics } from '../observability/metrics.ts';
import type { RateLimiter } from './rate-limiter.ts';

/**
 * A miss just over its client's rate waits up to this long for its token instead of being refused: every SDK
 * copes with a slow answer (PHP retries nothing else), and 300 pods starting behind one address are served.
 * It comes off the request's patience, so a held miss still answers within Rust's 5 s read timeout.
 */
export const RATE_LIMIT_HOLD_MS = 1_000;
/** 503 with Retry-After: every SDK retries a 503 (Java v2, Rust, PHP and the Ruby chain never retry 429). */
const RATE_LIMITED_HEADERS = { 'content-type': 'application/json', 'retry-after': '1' } as const;
/** Refusals are fixed bytes: a flood of misses is answered as cheaply as possible. */
const RATE_LIMITED_BODY = {
  client: errorBody('TooManyRequests', 'rate limit exceeded for this client; retry after a second'),
  global: errorBody('TooManyRequests', 'rate limit exceeded for this agent; retry after a second'),
} as const;
export const RATE_LIMITED_STATUS = ERROR_SPECS.TooManyRequests.status;

/** How long to hold the miss before its work (0: go now), or the refusal to answer. */
export type MissAdmission = (client: string, nowMs: number) => number | Response;

export function createMissAdmission(
  rateLimiter: RateLimiter,
  metrics: Pick<HttpMetrics, 'rateLimited' | 'httpResponse'>,
): MissAdmission {
  const refused = {
    client: metrics.rateLimited.labels('client'),
    global: metrics.rateLimited.labels('global'),
  };
  const refusedResponses = metrics.httpResponse.labels(String(RATE_LIMITED_STATUS));
  return function admitMiss(client, nowMs) {
    const decision = rateLimiter.take(client, nowMs, RATE_LIMIT_HOLD_MS);
    if (decision === 'ok') return 0;
    if (typeof decision === 'number') return decision;
    refused[decision].inc();
    refusedResponses.inc();
    return new Response(RATE_LIMITED_BODY[decision], {
      status: RATE_LIMITED_STATUS,
      headers: RATE_LIMITED_HEADERS,
    });
  };
}

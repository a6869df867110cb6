// Fairness for cache misses: a token bucket per source address (one pod flooding the agent with new tokens
// must not starve the others of verification and EKS Auth capacity) and an
// optional global bucket. Buckets refill lazily on use, so an idle client costs nothing but its map slot.
// A request just over the limit may be held instead of refused: it reserves a token the bucket will have
// within maxWaitMs (the bucket goes into debt) and waits for it. A slow answer is something every SDK
// handles, while some never retry an HTTP error (PHP retries only its own timeouts).

import { createTokenBucket, msUntilTokens, refillBucket, type TokenBucket } from '../shared/token-bucket.ts';

/** Buckets hold this many seconds of a client's rate: room for SDK retry bursts and many processes starting. */
export const BURST_SECONDS = 2;
/** Source addresses tracked at once; beyond it the oldest is forgotten (a node runs at most a few hundred pods). */
export const MAX_TRACKED_CLIENTS = 10_000;

/** 'ok': go now; a number: a token is reserved, go after that many ms; otherwise which bucket refused. */
export type RateDecision = 'ok' | 'client' | 'global' | number;

export interface RateLimiter {
  /**
   * Takes one token for `client` (and the global bucket) at `nowMs` (monotonic), or reserves one due within
   * `maxWaitMs` and says how long to wait for it, or says which bucket refused.
   */
  take(client: string, nowMs: number, maxWaitMs?: number): RateDecision;
  readonly trackedClients: number;
}

export interface RateLimiterOptions {
  /** Requests per second per source address; 0 disables the per-client limit. */
  perClientRps: number;
  /** Requests per second in total; 0 disables the global limit. */
  globalRps: number;
  maxClients?: number;
}

/** Undefined when both limits are off, so the hot path skips the work entirely. */
export function createRateLimiter(options: RateLimiterOptions): RateLimiter | undefined {
  const { perClientRps, globalRps } = options;
  if (perClientRps <= 0 && globalRps <= 0) return undefined;
  const maxClients = options.maxClients ?? MAX_TRACKED_CLIENTS;
  const clientCapacity = Math.max(1, perClientRps * BURST_SECONDS);
  const globalCapacity = Math.max(1, globalRps * BURST_SECONDS);
  const clients = new Map<string, TokenBucket>();
  const global = createTokenBucket(globalCapacity, 0);

  function clientBucket(client: string, nowMs: number): TokenBucket {
    let bucket = clients.get(client);
    if (bucket === undefined) {
      if (clients.size >= maxClients) {
        const oldest = clients.keys().next().value;
        if (oldest !== undefined) clients.delete(oldest);
      }
      bucket = createTokenBucket(clientCapacity, nowMs);
      clients.set(client, bucket);
    }
    return bucket;
  }

  return {
    take(client, nowMs, maxWaitMs = 0) {
      let bucket: TokenBucket | undefined;
      let waitMs = 0;
      if (perClientRps > 0) {
        bucket = clientBucket(client, nowMs);
        refillBucket(bucket, nowMs, perClientRps, clientCapacity);
        waitMs = msUntilTokens(bucket, 1, perClientRps);
        if (waitMs > maxWaitMs) return 'client';
      }
      if (globalRps > 0) {
        refillBucket(global, nowMs, globalRps, globalCapacity);
        const globalWaitMs = msUntilTokens(global, 1, globalRps);
        if (globalWaitMs > maxWaitMs) return 'global';
        waitMs = Math.max(waitMs, globalWaitMs);
        global.tokens -= 1;
      }
      if (bucket !== undefined) bucket.tokens -= 1;
      return waitMs > 0 ? waitMs : 'ok';
    },
    get trackedClients() {
      return clients.size;
    },
  };
}

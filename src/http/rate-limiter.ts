// Fairness for cache misses: a token bucket per source address (one pod flooding the agent with new tokens
// must not starve the others of verification and EKS Auth capacity) and an
// optional global bucket. Buckets refill lazily on use, so an idle client costs nothing but its map slot.

/** Buckets hold this many seconds of a client's rate: room for SDK retry bursts and many processes starting. */
export const BURST_SECONDS = 2;
/** Source addresses tracked at once; beyond it the oldest is forgotten (a node runs at most a few hundred pods). */
export const MAX_TRACKED_CLIENTS = 10_000;

export type RateDecision = 'ok' | 'client' | 'global';

export interface RateLimiter {
  /** Takes one token for `client` (and the global bucket), or says which bucket is empty. */
  take(client: string, nowMs: number): RateDecision;
  readonly trackedClients: number;
}

interface Bucket {
  tokens: number;
  lastMs: number;
}

export interface RateLimiterOptions {
  /** Requests per second per source address; 0 disables the per-client limit. */
  perClientRps: number;
  /** Requests per second in total; 0 disables the global limit. */
  globalRps: number;
  maxClients?: number;
}

function refill(bucket: Bucket, nowMs: number, rps: number, capacity: number): void {
  const elapsedMs = nowMs - bucket.lastMs;
  if (elapsedMs > 0) {
    bucket.tokens = Math.min(capacity, bucket.tokens + (elapsedMs * rps) / 1000);
    bucket.lastMs = nowMs;
  }
}

/** Undefined when both limits are off, so the hot path skips the work entirely. */
export function createRateLimiter(options: RateLimiterOptions): RateLimiter | undefined {
  const { perClientRps, globalRps } = options;
  if (perClientRps <= 0 && globalRps <= 0) return undefined;
  const maxClients = options.maxClients ?? MAX_TRACKED_CLIENTS;
  const clientCapacity = Math.max(1, perClientRps * BURST_SECONDS);
  const globalCapacity = Math.max(1, globalRps * BURST_SECONDS);
  const clients = new Map<string, Bucket>();
  const global: Bucket = { tokens: globalCapacity, lastMs: 0 };

  function clientBucket(client: string, nowMs: number): Bucket {
    let bucket = clients.get(client);
    if (bucket === undefined) {
      if (clients.size >= maxClients) {
        const oldest = clients.keys().next().value;
        if (oldest !== undefined) clients.delete(oldest);
      }
      bucket = { tokens: clientCapacity, lastMs: nowMs };
      clients.set(client, bucket);
    }
    return bucket;
  }

  return {
    take(client, nowMs) {
      let bucket: Bucket | undefined;
      if (perClientRps > 0) {
        bucket = clientBucket(client, nowMs);
        refill(bucket, nowMs, perClientRps, clientCapacity);
        if (bucket.tokens < 1) return 'client';
      }
      if (globalRps > 0) {
        refill(global, nowMs, globalRps, globalCapacity);
        if (global.tokens < 1) return 'global';
        global.tokens -= 1;
      }
      if (bucket !== undefined) bucket.tokens -= 1;
      return 'ok';
    },
    get trackedClients() {
      return clients.size;
    },
  };
}

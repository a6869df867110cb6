// The token-bucket arithmetic the per-client rate limit, the EKS Auth retry quota and the adaptive pacer
// share: tokens earned at a rate since the last refill, capped at a capacity. Refilled lazily on use with a
// monotonic time the caller passes, so an idle bucket costs nothing and tests drive it with a fake clock.
// Holds no policy: what a token costs, and whether the bucket may go into debt, is each caller's.

export interface TokenBucket {
  /** May go below zero while a caller lets the bucket run into debt (reservations). */
  tokens: number;
  /** Monotonic ms of the last refill. */
  lastMs: number;
}

export function createTokenBucket(tokens: number, nowMs: number): TokenBucket {
  return { tokens, lastMs: nowMs };
}

/** Adds what `ratePerSecond` earned since the last refill, up to `capacity`; time that went back adds nothing. */
export function refillBucket(
  bucket: TokenBucket,
  nowMs: number,
  ratePerSecond: number,
  capacity: number,
): void {
  const elapsedMs = nowMs - bucket.lastMs;
  if (elapsedMs > 0) {
    bucket.tokens = Math.min(capacity, bucket.tokens + (elapsedMs * ratePerSecond) / 1000);
    bucket.lastMs = nowMs;
  }
}

/** Ms until the bucket holds `needed` tokens at `ratePerSecond` (0 if it does now; longer while in debt). */
export function msUntilTokens(bucket: TokenBucket, needed: number, ratePerSecond: number): number {
  return bucket.tokens >= needed ? 0 : ((needed - bucket.tokens) * 1000) / ratePerSecond;
}

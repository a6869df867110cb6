// Exponential backoff with full jitter (AWS Architecture Blog, "Exponential Backoff And Jitter"): spreads
// retries of many pods failing at once, instead of synchronising them into waves against EKS Auth.

export interface BackoffOptions {
  readonly baseBackoffMs: number;
  readonly maxBackoffMs: number;
  /** Uniform in [0, 1). */
  readonly random: () => number;
}

/** Delay before retry number `retry` (1 for the first retry). */
export function fullJitterBackoffMs(retry: number, options: BackoffOptions): number {
  const ceiling = Math.min(options.maxBackoffMs, options.baseBackoffMs * 2 ** Math.max(0, retry - 1));
  return Math.floor(options.random() * ceiling);
}

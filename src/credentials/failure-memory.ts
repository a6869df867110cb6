// Remembers, per token, that EKS Auth just said the pod itself may not have credentials (no association,
// denied, expired or invalid token). An SDK retries such an answer 3-6 times per refresh and a crash-looping
// pod asks on every start: each of those is answered from memory for a short while, so a pod costs one
// EKS Auth call per window instead of one per request. Throttling, 5xx and network failures say nothing
// about the pod and are never remembered. Times are monotonic: a wall-clock step neither extends nor ends it.

import type { AgentError } from '../errors.ts';
import { Lru } from '../shared/lru.ts';

/** How long a pod-level failure is answered from memory: inside every SDK's retry loop, short for a fix. */
export const FAILURE_MEMORY_MS = 20_000;
/** Tokens remembered at once (LRU): a flood of distinct junk tokens cannot grow memory. */
export const MAX_REMEMBERED_FAILURES = 4096;

export interface FailureMemory {
  /** The remembered failure for this token, if still within its window at `monotonicMs`. */
  recall(token: string, monotonicMs: number): AgentError | undefined;
  remember(token: string, error: AgentError, monotonicMs: number): void;
  readonly size: number;
}

interface Remembered {
  readonly error: AgentError;
  readonly untilMs: number;
}

export function createFailureMemory(
  windowMs = FAILURE_MEMORY_MS,
  maxEntries = MAX_REMEMBERED_FAILURES,
): FailureMemory {
  const lru = new Lru<string, Remembered>(maxEntries);
  return {
    recall(token, monotonicMs) {
      const r = lru.get(token);
      if (r === undefined) return undefined;
      if (monotonicMs < r.untilMs) return r.error;
      lru.delete(token);
      return undefined;
    },
    remember(token, error, monotonicMs) {
      if (windowMs > 0) lru.set(token, { error, untilMs: monotonicMs + windowMs });
    },
    get size() {
      return lru.size;
    },
  };
}

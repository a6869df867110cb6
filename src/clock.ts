// Injected time, so cache expiry, refresh and retries are testable without sleeping.

export interface Clock {
  /** Epoch milliseconds. */
  now(): number;
}

export const systemClock: Clock = { now: () => Date.now() };

/** A clock tests move by hand. */
export function createManualClock(startMs = Date.UTC(2026, 10, 28, 12, 0, 0)): Clock & {
  advance(ms: number): void;
  set(ms: number): void;
} {
  let t = startMs;
  return {
    now: () => t,
    advance(ms: number) {
      t += ms;
    },
    set(ms: number) {
      t = ms;
    },
  };
}

/**
 * Timers on the same time base as a Clock. Injected where a wait must follow a manual clock (the cluster
 * simulator in bench/cluster-sim runs a thousand agents in virtual time); everything else uses the system's.
 */
export interface Timers {
  setTimeout(callback: () => void, ms: number): unknown;
  clearTimeout(handle: unknown): void;
}

export const systemTimers: Timers = {
  setTimeout: (callback, ms) => setTimeout(callback, ms),
  clearTimeout: (handle) => clearTimeout(handle as ReturnType<typeof setTimeout>),
};

/** Monotonic milliseconds (pacing, per-attempt budgets): performance.now unless a simulator injects its own. */
export type MonotonicNow = () => number;

export const systemMonotonicNow: MonotonicNow = () => performance.now();

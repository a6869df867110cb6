// Injected time, so cache expiry, refresh and retries are testable without sleeping. Two readings: wall time
// (epoch ms) only for what is defined by it (credential and token expiry, request signing), and a monotonic
// reading for every rate, interval and lag, so a wall-clock step (NTP, a VM resumed) never stalls a limiter,
// the refresher or the pacer.
// At the root of src/ because every stage takes it (cache, refresher, limiter, pacer, signer).

export interface Clock {
  /** Epoch milliseconds (wall time: may step). */
  now(): number;
  /** Milliseconds from an arbitrary origin that never goes back (performance.now in production). */
  monotonic(): number;
}

export const systemClock: Clock = { now: () => Date.now(), monotonic: () => performance.now() };

/** A clock tests move by hand: `advance` moves both readings, `set` steps the wall clock alone. */
export function createManualClock(startMs = Date.UTC(2026, 10, 28, 12, 0, 0)): Clock & {
  advance(ms: number): void;
  set(ms: number): void;
} {
  let wall = startMs;
  let mono = 1_000_000;
  return {
    now: () => wall,
    monotonic: () => mono,
    advance(ms: number) {
      wall += ms;
      mono += ms;
    },
    set(ms: number) {
      // Moving the wall clock forward by hand is also time passing (tests use it that way); a backward step
      // is a clock correction and leaves monotonic time alone.
      if (ms > wall) mono += ms - wall;
      wall = ms;
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

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

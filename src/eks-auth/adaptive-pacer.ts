// Adaptive pacing of EKS Auth calls (additive increase, multiplicative decrease). Unpaced while EKS Auth
// admits everything; once it throttles, calls go out at about the rate it just admitted, and the rate creeps
// back up while calls succeed. A pod-start storm then becomes a queue drained at the upstream's pace instead
// of waves of throttled calls (the public agent's most reported problem), and retries cannot storm.
// Pacing is about real elapsed time between sends, so it reads a monotonic clock (performance.now), not the
// injected wall clock that cache expiry and signing use.

import { createTokenBucket, msUntilTokens, refillBucket } from '../shared/token-bucket.ts';

/** Never pace slower than this: a throttled agent still makes progress. */
export const MIN_RATE_PER_SECOND = 1;
/**
 * After a throttle, pace at this share of what EKS Auth admitted in the last second. It admitted that many
 * while the agent asked for more: that is its rate, and pacing below it leaves admitted calls unmade (at
 * 0.95 a storm of 2 s clients lost 5 of every 100 it could have had).
 */
export const DECREASE_FACTOR = 1;
/** Throttles with nothing admitted, within this interval of a decrease, are one event (one burst's answers). */
export const DECREASE_INTERVAL_MS = 500;
/** Each success while paced, with no throttle for a second, raises the rate by this share (at least 0.1/s). */
export const INCREASE_FACTOR = 0.02;
/** Unpaced again after this long without a throttle. */
export const UNPACE_AFTER_MS = 3_000;

export interface AdaptivePacer {
  /**
   * Takes a send token now and returns 0, or returns how many ms until one is due (taking nothing). The
   * fair gate (fair-gate.ts) asks before every grant, so paced calls go out evenly in round-robin order.
   */
  tryTake(): number;
  /** EKS Auth admitted a call (a success, or a modelled answer about the pod such as AccessDenied). */
  onSuccess(): void;
  onThrottle(): void;
  /** Calls per second while paced; Infinity when unpaced. */
  readonly rate: number;
}

/**
 * The pacer's own bucket depth, in calls. Above 1 so a send that went out late (a timer fired late, the event
 * loop was busy) is made up by the next one instead of lost: with a depth of 1, every millisecond of lateness
 * is time the rate was not used, and EKS Auth's bucket, which went on earning, is left with tokens unspent.
 */
export const PACED_BURST = 2;

export function createAdaptivePacer(now: () => number = () => performance.now()): AdaptivePacer {
  let rate = Number.POSITIVE_INFINITY;
  const bucket = createTokenBucket(1, now());
  let lastThrottleMs = Number.NEGATIVE_INFINITY;
  let lastDecreaseMs = Number.NEGATIVE_INFINITY;
  // Successes in the last second (timestamps; only the count in the window matters), bounded.
  const successes: number[] = [];

  function admittedLastSecond(nowMs: number): number {
    while (successes.length > 0 && successes[0]! <= nowMs - 1000) successes.shift();
    return successes.length;
  }

  function paced(nowMs: number): boolean {
    if (rate !== Number.POSITIVE_INFINITY && nowMs - lastThrottleMs > UNPACE_AFTER_MS)
      rate = Number.POSITIVE_INFINITY;
    return rate !== Number.POSITIVE_INFINITY;
  }

  return {
    tryTake() {
      const nowMs = now();
      if (!paced(nowMs)) return 0;
      refillBucket(bucket, nowMs, rate, PACED_BURST);
      // A hair below 1 after a wait is rounding, not a missing token.
      if (bucket.tokens >= 1 - 1e-6) {
        bucket.tokens = Math.max(0, bucket.tokens - 1);
        return 0;
      }
      return Math.max(1, msUntilTokens(bucket, 1, rate));
    },
    onSuccess() {
      const nowMs = now();
      successes.push(nowMs);
      if (successes.length > 10_000) successes.shift();
      if (paced(nowMs) && nowMs - lastThrottleMs > 1000) rate += Math.max(0.1, rate * INCREASE_FACTOR);
    },
    onThrottle() {
      const nowMs = now();
      lastThrottleMs = nowMs;
      const admitted = admittedLastSecond(nowMs);
      if (admitted === 0) {
        // Nothing admitted for a second: only a guess is left (10/s when unpaced, else half the rate), made
        // once per burst of throttles so the throttled answers to one burst do not compound it.
        if (nowMs - lastDecreaseMs < DECREASE_INTERVAL_MS) return;
        lastDecreaseMs = nowMs;
      }
      // Otherwise re-estimated from what EKS Auth admitted, whatever the current rate: a first throttle that
      // arrives before its burst's successes, or a decrease made while calls were still on their way, must
      // not hold the rate down (the current rate is no ceiling), and re-estimating on each throttle of a
      // burst does not compound.
      const base = admitted > 0 ? admitted : rate === Number.POSITIVE_INFINITY ? 10 : rate / 2;
      if (rate === Number.POSITIVE_INFINITY) {
        bucket.tokens = 0;
        bucket.lastMs = nowMs;
      }
      rate = Math.max(MIN_RATE_PER_SECOND, base * DECREASE_FACTOR);
    },
    get rate() {
      return rate;
    },
  };
}

import { describe, expect, test } from 'bun:test';
import {
  createAdaptivePacer,
  DECREASE_FACTOR,
  MIN_RATE_PER_SECOND,
  UNPACE_AFTER_MS,
} from '../../src/eks-auth/adaptive-pacer.ts';

/** A pacer on a hand-moved monotonic clock; its sleeps move the clock instead of waiting. */
function pacerWithFakeTime() {
  let t = 1_000;
  const pacer = createAdaptivePacer(() => t);
  const sleep = async (ms: number) => {
    t += ms;
  };
  /** Waits (in fake time) for a token, as the fair gate does; false if that would take longer than budgetMs. */
  const acquire = async (budgetMs: number | undefined) => {
    const start = t;
    for (;;) {
      const waitMs = pacer.tryTake();
      if (waitMs === 0) return true;
      if (budgetMs !== undefined && t - start + waitMs > budgetMs) return false;
      await sleep(waitMs);
    }
  };
  return {
    pacer,
    acquire,
    advance(ms: number) {
      t += ms;
    },
    now: () => t,
  };
}

describe('adaptive pacer', () => {
  test('unpaced until EKS Auth throttles', async () => {
    const p = pacerWithFakeTime();
    for (let i = 0; i < 100; i++) expect(await p.acquire(1000)).toBe(true);
    expect(p.now()).toBe(1_000);
    expect(p.pacer.rate).toBe(Number.POSITIVE_INFINITY);
  });

  test('after a throttle, calls go out at about the rate EKS Auth admitted in the last second', async () => {
    const p = pacerWithFakeTime();
    for (let i = 0; i < 50; i++) p.pacer.onSuccess();
    p.pacer.onThrottle();
    const rate = 50 * DECREASE_FACTOR;
    expect(p.pacer.rate).toBeCloseTo(rate, 5);
    const start = p.now();
    const calls = 48;
    for (let i = 0; i < calls; i++) expect(await p.acquire(undefined)).toBe(true);
    // Evenly spaced at `rate` per second (fake time: exact up to rounding).
    expect(p.now() - start).toBeCloseTo((calls * 1000) / rate, 0);
  });

  // Regression: with a pacer bucket one call deep, every send that went out late (a timer firing late, a busy
  // event loop) lost its lateness for good: at 50/s with every send 4 ms late the agent made 41 calls in a second
  // while EKS Auth's bucket earned 50, and a 1 s client storm missed calls it could have had.
  test('a late send is made up by the next: lateness does not lower the paced rate', async () => {
    const p = pacerWithFakeTime();
    for (let i = 0; i < 50; i++) p.pacer.onSuccess();
    p.pacer.onThrottle();
    const start = p.now();
    let sent = 0;
    // One second in fake time; every wait the pacer asks for is served 4 ms late, as a loaded timer would.
    while (p.now() - start < 1000) {
      const waitMs = p.pacer.tryTake();
      if (waitMs === 0) sent++;
      else p.advance(waitMs + 4);
    }
    // 50/s for 1 s from an empty bucket: the sends due at 20, 40, ..., 1000 ms, less at most the last one.
    expect(sent).toBeGreaterThanOrEqual(49);
  });

  test('tryTake takes nothing while no token is due and says how long until one is', async () => {
    const p = pacerWithFakeTime();
    p.pacer.onThrottle(); // nothing admitted yet: 10/s x DECREASE_FACTOR
    const waitMs = p.pacer.tryTake();
    expect(waitMs).toBeCloseTo(1000 / (10 * DECREASE_FACTOR), 5);
    expect(p.pacer.tryTake()).toBeCloseTo(waitMs, 5);
    p.advance(waitMs);
    expect(p.pacer.tryTake()).toBe(0);
    expect(p.pacer.tryTake()).toBeGreaterThan(0);
  });

  test('repeated throttles halve the rate down to the floor; a burst of throttles counts once', () => {
    const p = pacerWithFakeTime();
    p.pacer.onThrottle();
    const first = p.pacer.rate;
    p.pacer.onThrottle(); // same burst
    expect(p.pacer.rate).toBe(first);
    for (let i = 0; i < 20; i++) {
      p.advance(600);
      p.pacer.onThrottle();
    }
    expect(p.pacer.rate).toBe(MIN_RATE_PER_SECOND);
  });

  test('successes raise the rate; a quiet spell ends pacing', async () => {
    const p = pacerWithFakeTime();
    p.pacer.onThrottle();
    const low = p.pacer.rate;
    p.advance(1_500);
    for (let i = 0; i < 10; i++) p.pacer.onSuccess();
    expect(p.pacer.rate).toBeGreaterThan(low);
    p.advance(UNPACE_AFTER_MS);
    expect(await p.acquire(0)).toBe(true);
    expect(p.pacer.rate).toBe(Number.POSITIVE_INFINITY);
  });
});

describe('adaptive pacer: the rate after a throttle is what EKS Auth admitted', () => {
  test('a first throttle that arrives before its burst’s successes does not hold the rate down', () => {
    const p = pacerWithFakeTime();
    for (let i = 0; i < 10; i++) p.pacer.onSuccess();
    p.pacer.onThrottle(); // the burst's first throttled answer, 40 of its successes still on their way
    for (let i = 0; i < 40; i++) p.pacer.onSuccess();
    p.advance(100);
    p.pacer.onThrottle();
    // Re-estimated from the 50 admitted: the first estimate is no ceiling.
    expect(p.pacer.rate).toBeCloseTo(50 * DECREASE_FACTOR, 5);
    expect(p.pacer.rate).toBeGreaterThanOrEqual(49);
  });

  test('throttles while the rate matches what was admitted leave it there (no compounding)', () => {
    const p = pacerWithFakeTime();
    for (let i = 0; i < 50; i++) p.pacer.onSuccess();
    p.pacer.onThrottle();
    // Paced at 50/s, 50 admitted per second while EKS Auth keeps throttling the excess, for 3 s.
    for (let tick = 0; tick < 15; tick++) {
      p.advance(200);
      for (let i = 0; i < 10; i++) p.pacer.onSuccess();
      p.pacer.onThrottle();
    }
    expect(p.pacer.rate).toBe(50 * DECREASE_FACTOR);
    expect(p.pacer.rate).toBeGreaterThanOrEqual(49);
  });
});

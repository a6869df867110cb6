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
  return {
    pacer,
    sleep,
    advance(ms: number) {
      t += ms;
    },
    now: () => t,
  };
}

describe('adaptive pacer', () => {
  test('unpaced until EKS Auth throttles', async () => {
    const p = pacerWithFakeTime();
    for (let i = 0; i < 100; i++) expect(await p.pacer.acquire(1000, p.sleep)).toBe(true);
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
    for (let i = 0; i < Math.round(rate); i++) expect(await p.pacer.acquire(undefined, p.sleep)).toBe(true);
    // `rate` calls at `rate`/s: about one second of (fake) waiting.
    expect(p.now() - start).toBeGreaterThan(950);
    expect(p.now() - start).toBeLessThan(1050);
  });

  test('a call that would wait past its budget gives up at once', async () => {
    const p = pacerWithFakeTime();
    p.pacer.onThrottle(); // nothing admitted yet: 10/s x DECREASE_FACTOR
    const before = p.now();
    expect(await p.pacer.acquire(50, p.sleep)).toBe(false);
    expect(p.now()).toBe(before);
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
    expect(await p.pacer.acquire(0, p.sleep)).toBe(true);
    expect(p.pacer.rate).toBe(Number.POSITIVE_INFINITY);
  });
});

import { describe, expect, test } from 'bun:test';
import { earliestDeadlineFirst, pacedBound } from '../../bench/sdk-matrix/paced-bound.ts';

describe('earliestDeadlineFirst', () => {
  test('one deadline for all: the calls admitted before it', () => {
    // 50 calls/s for 2 s: calls at 0, 20, ..., 1980 ms.
    expect(earliestDeadlineFirst(Array(300).fill(2000), 50, 1)).toBe(100);
    expect(earliestDeadlineFirst(Array(30).fill(2000), 50, 1)).toBe(30);
  });

  test('a full bucket: burst calls at 0, then one every 1/rate s', () => {
    // 50 at 0 ms, then 20, 40, ..., 1980 ms: 50 + 99.
    expect(earliestDeadlineFirst(Array(300).fill(2000), 50, 50)).toBe(149);
    // 1 s window: 50 at 0, then 20..980 ms.
    expect(earliestDeadlineFirst(Array(300).fill(1000), 50, 50)).toBe(99);
    // The burst goes to the soonest deadlines; the 10 ms pods are lost without one.
    expect(earliestDeadlineFirst([10, 10, 10, 500], 10, 2)).toBe(3);
    expect(earliestDeadlineFirst([10, 10, 10, 500], 10, 1)).toBe(2);
  });

  test('a pod whose deadline passed is lost; each call goes to the soonest deadline still open', () => {
    // Calls at 0, 100, 200, 300 ms. Deadlines 50, 50, 250, 1000: the call at 0 serves one 50 ms pod, the
    // other is gone by 100; 100 serves the 250 ms pod; 200 the last.
    expect(earliestDeadlineFirst([50, 50, 250, 1000], 10, 1)).toBe(3);
  });
});

describe('pacedBound', () => {
  test('without random delays: a 1 s burst plus rate x window, less the call at the deadline', () => {
    expect(pacedBound(300, 50, 50, 2000)).toBe(149);
    expect(pacedBound(300, 50, 50, 1000)).toBe(99);
    expect(pacedBound(300, 50, 50, 6000)).toBe(300);
    expect(pacedBound(60, 20, 20, 2000)).toBe(59);
    // Without a burst: rate x window.
    expect(pacedBound(300, 50, 1, 2000)).toBe(100);
  });

  test('JS v2 (4 x 1 s + U(0,100) + U(0,200) + U(0,400) ms): below burst + rate x longest window, above the 4 s all pods share', () => {
    const bound = pacedBound(300, 50, 50, 4000, [100, 200, 400]);
    // 50 + 50 x 4.7 s - 1 = 284 would need every pod to draw the longest delays; 249 is what 4 s alone allows.
    expect(bound).toBeGreaterThan(274);
    expect(bound).toBeLessThan(284);
    // Deterministic: the same on every run of the bench.
    expect(pacedBound(300, 50, 50, 4000, [100, 200, 400])).toBe(bound);
    // Without a burst (one call every 20 ms from 0), the earlier bound.
    const noBurst = pacedBound(300, 50, 1, 4000, [100, 200, 400]);
    expect(noBurst).toBeGreaterThan(225);
    expect(noBurst).toBeLessThan(235);
  });
});

import { describe, expect, test } from 'bun:test';
import { earliestDeadlineFirst, pacedBound } from '../../bench/sdk-matrix/paced-bound.ts';

describe('earliestDeadlineFirst', () => {
  test('one deadline for all: the calls admitted before it', () => {
    // 50 calls/s for 2 s: calls at 0, 20, ..., 1980 ms.
    expect(earliestDeadlineFirst(Array(300).fill(2000), 50)).toBe(100);
    expect(earliestDeadlineFirst(Array(30).fill(2000), 50)).toBe(30);
  });

  test('a pod whose deadline passed is lost; each call goes to the soonest deadline still open', () => {
    // Calls at 0, 100, 200, 300 ms. Deadlines 50, 50, 250, 1000: the call at 0 serves one 50 ms pod, the
    // other is gone by 100; 100 serves the 250 ms pod; 200 the last.
    expect(earliestDeadlineFirst([50, 50, 250, 1000], 10)).toBe(3);
  });
});

describe('pacedBound', () => {
  test('without random delays: rate x window', () => {
    expect(pacedBound(300, 50, 2000)).toBe(100);
    expect(pacedBound(300, 50, 1000)).toBe(50);
    expect(pacedBound(300, 50, 6000)).toBe(300);
    expect(pacedBound(60, 20, 2000)).toBe(40);
  });

  test('JS v2 (4 x 1 s + U(0,100) + U(0,200) + U(0,400) ms): below rate x longest window, above the 4 s all pods share', () => {
    const bound = pacedBound(300, 50, 4000, [100, 200, 400]);
    // 50 x 4.7 s = 235 would need every pod to draw the longest delays; 200 is what 4 s alone allows.
    expect(bound).toBeGreaterThan(225);
    expect(bound).toBeLessThan(235);
    // Deterministic: the same on every run of the bench.
    expect(pacedBound(300, 50, 4000, [100, 200, 400])).toBe(bound);
  });
});

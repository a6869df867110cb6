// How many of a cell's pods any agent could serve when EKS Auth throttles with a token bucket: the "≤N
// possible" of the storm and flood columns. Each pod stops trying at its own deadline (its client's window,
// with the client's own random delays where it draws them). EKS Auth (and the emulator's `maxTps`, which
// models it) holds `burst` tokens at the pods' common start and earns one every 1/rate s: it admits `burst`
// calls at t=0, then one every 1/rate s. The best any agent can do, even one that knew every pod's deadline,
// is earliest deadline first: each admitted call goes to the pod that gives up soonest among those still
// trying. That count is min over t of (calls admitted before t + pods still trying at t), and the greedy below
// reaches it. No phase enters: the bucket has no second boundaries to land a second's calls early at.
import { createRandom } from '../cluster-sim/virtual-time.ts';

/**
 * Pods the earliest-deadline-first agent serves: `deadlinesMs` sorted ascending, `burst` calls at 0 and then
 * one every 1000/rate ms (burst 1: one call every 1000/rate ms from 0).
 */
export function earliestDeadlineFirst(
  deadlinesMs: readonly number[],
  perSecond: number,
  burst: number,
): number {
  const intervalMs = 1000 / perSecond;
  let served = 0;
  let next = 0;
  for (let slot = 0; next < deadlinesMs.length; slot++) {
    const atMs = Math.max(0, slot - burst + 1) * intervalMs;
    // Pods whose deadline has passed by this call are lost to every agent.
    while (next < deadlinesMs.length && deadlinesMs[next]! <= atMs) next++;
    if (next === deadlinesMs.length) break;
    served++;
    next++;
  }
  return served;
}

/** Draws for a client whose window has random parts; the median is the bound (its spread is ±1-2 pods). */
const TRIALS = 501;

/**
 * Pods any agent could serve: `fixedMs` of window plus, per random delay, a uniform draw in [0, max) (JS v2's
 * `random() x 2^n x 100 ms`), against a bucket of `burst` calls refilled at `perSecond`. Without random
 * delays every pod has the same deadline and the count is the calls admitted before it. The median over many
 * draws of the pods' delays, since each cell draws its own.
 */
export function pacedBound(
  pods: number,
  perSecond: number,
  burst: number,
  fixedMs: number,
  jitterMs: readonly number[] = [],
): number {
  if (jitterMs.length === 0) return earliestDeadlineFirst(Array(pods).fill(fixedMs), perSecond, burst);
  // Seeded: the bound is the same on every run of the bench.
  const random = createRandom(pods * 7919 + perSecond);
  const counts: number[] = [];
  for (let trial = 0; trial < TRIALS; trial++) {
    const deadlines = Array.from({ length: pods }, () =>
      jitterMs.reduce((sum, max) => sum + random() * max, fixedMs),
    ).sort((a, b) => a - b);
    counts.push(earliestDeadlineFirst(deadlines, perSecond, burst));
  }
  counts.sort((a, b) => a - b);
  return counts[Math.floor(TRIALS / 2)]!;
}

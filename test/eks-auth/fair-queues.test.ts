import { describe, expect, test } from 'bun:test';
import {
  createFairQueues,
  type Standing,
  UNWAITED_AGE_MS,
  type Waiter,
} from '../../src/eks-auth/fair-queues.ts';
import type { Demand } from '../../src/eks-auth/types.ts';

function waiter(client: string, demand?: Demand): Waiter & { name: string } {
  const standing: Standing = { demand };
  return { client, standing, name: client, grant() {}, drop() {} };
}

const waiting = (expectedEndMs?: number): Demand => ({ waiting: 1, idleSinceMs: 0, expectedEndMs });
const gone = (idleSinceMs: number): Demand => ({ waiting: 0, idleSinceMs, expectedEndMs: undefined });

/** Names in the order `next` hands them out at `nowMs`, with `marginMs`. */
function drain(q: ReturnType<typeof createFairQueues>, nowMs: number, marginMs = 0): string[] {
  const out: string[] = [];
  for (let w = q.next(nowMs, marginMs); w !== undefined; w = q.next(nowMs, marginMs))
    out.push((w as Waiter & { name: string }).name);
  return out;
}

describe('fair queues: who still waits', () => {
  test('a call a pod still waits for goes before one nobody waits for any more', () => {
    const q = createFairQueues();
    q.push(waiter('gave-up', gone(900)));
    q.push(waiter('between-retries', gone(950)));
    q.push(waiter('waiting', waiting()));
    expect(drain(q, 1_000)).toEqual(['waiting', 'gave-up', 'between-retries']);
  });

  test('soonest expected give-up first, but not one that would give up before an answer could come', () => {
    const q = createFairQueues();
    q.push(waiter('unknown', waiting()));
    q.push(waiter('ends-2000', waiting(2_000)));
    q.push(waiter('ends-1500', waiting(1_500)));
    q.push(waiter('ends-1005', waiting(1_005)));
    // At 1000 with 20 ms to answer: 1005 is lost to any answer; 1500 is the soonest that can still take one.
    expect(drain(q, 1_000, 20)).toEqual(['ends-1500', 'ends-2000', 'unknown', 'ends-1005']);
  });

  test('a call nobody has waited for in UNWAITED_AGE_MS ranks with the others again: it cannot starve', () => {
    const q = createFairQueues();
    q.push(waiter('renewal', gone(0)));
    q.push(waiter('pod', waiting()));
    expect(drain(q, UNWAITED_AGE_MS)).toEqual(['renewal', 'pod']);
  });

  test('fairness first: a flooder whose calls are all waited for still waits behind itself', () => {
    const q = createFairQueues();
    for (let i = 0; i < 3; i++) q.push(waiter('flooder', waiting(1_100)));
    q.push(waiter('pod', gone(990)));
    // The pod's one call is at the flooder's first level: it goes before the flooder's second and third.
    expect(drain(q, 1_000)).toEqual(['flooder', 'pod', 'flooder', 'flooder']);
  });

  test('a throttled attempt queued again keeps its call’s level', () => {
    const q = createFairQueues();
    const retried = waiter('a', waiting());
    q.push(retried);
    expect(q.next(0, 0)).toBe(retried);
    for (let i = 0; i < 2; i++) q.push(waiter('b', waiting()));
    q.next(0, 0); // b's first call: level 1
    q.push(retried); // a's call again, after its throttled attempt: still level 1, before b's second
    expect(q.next(0, 0)).toBe(retried);
  });
});

import { describe, expect, test } from 'bun:test';
import { createAdaptivePacer, DECREASE_FACTOR } from '../../src/eks-auth/adaptive-pacer.ts';
import { createFairGate, type Release } from '../../src/eks-auth/fair-gate.ts';
import { AgentError } from '../../src/errors.ts';
import { createVirtualTimers } from '../helpers/virtual-timers.ts';

function setup(maxConcurrency: number, maxQueue = 1024) {
  const timers = createVirtualTimers(1_000);
  const pacer = createAdaptivePacer(timers.now);
  const gate = createFairGate({ maxConcurrency, maxQueue, pacer, timers });
  /** Who was granted, in order, and their releases. */
  const granted: string[] = [];
  const releases: Release[] = [];
  const outcomes: unknown[] = [];
  const ask = (client: string, budgetMs?: number) =>
    gate.acquire(client, budgetMs).then(
      (r) => {
        if (r === false) outcomes.push(`${client}:expired`);
        else {
          granted.push(client);
          releases.push(r);
        }
      },
      (err) => outcomes.push(err),
    );
  const flush = () => new Promise((r) => setTimeout(r, 0));
  return { timers, pacer, gate, granted, releases, outcomes, ask, flush };
}

describe('fair gate', () => {
  test('free slots are granted at once, up to the concurrency bound', async () => {
    const g = setup(2);
    await Promise.all([g.ask('a'), g.ask('a')]);
    expect(g.granted).toEqual(['a', 'a']);
    void g.ask('a');
    await g.flush();
    expect(g.granted).toHaveLength(2);
    expect(g.gate.queued).toBe(1);
    g.releases[0]!();
    await g.flush();
    expect(g.granted).toHaveLength(3);
    expect(g.gate.inFlight).toBe(2);
  });

  test('a flooder waits behind itself: slots go round-robin across clients', async () => {
    const g = setup(1);
    await g.ask('flooder');
    for (let i = 0; i < 50; i++) void g.ask('flooder');
    for (let i = 0; i < 3; i++) void g.ask('pod-a');
    void g.ask('pod-b');
    await g.flush();
    for (let i = 0; i < 8; i++) {
      g.releases.at(-1)!();
      await g.flush();
    }
    expect(g.granted.slice(1)).toEqual([
      'flooder',
      'pod-a',
      'pod-b',
      'flooder',
      'pod-a',
      'flooder',
      'pod-a',
      'flooder',
    ]);
  });

  test('paced: tokens are handed out at the pacer rate, round-robin across clients', async () => {
    const g = setup(32);
    g.pacer.onThrottle(); // 10/s x DECREASE_FACTOR, no token in hand
    const intervalMs = 1000 / (10 * DECREASE_FACTOR);
    for (let i = 0; i < 20; i++) void g.ask('flooder');
    void g.ask('pod-a');
    void g.ask('pod-b');
    await g.flush();
    expect(g.granted).toEqual([]);
    g.timers.advance(intervalMs);
    await g.flush();
    expect(g.granted).toEqual(['flooder']);
    g.timers.advance(intervalMs * 3);
    await g.flush();
    expect(g.granted).toEqual(['flooder', 'pod-a', 'pod-b', 'flooder']);
  });

  test('a waiter whose budget passes gets false and leaves the queue', async () => {
    const g = setup(1);
    await g.ask('a');
    const waiting = g.ask('b', 500);
    g.timers.advance(499);
    await g.flush();
    expect(g.outcomes).toEqual([]);
    g.timers.advance(1);
    await waiting;
    expect(g.outcomes).toEqual(['b:expired']);
    expect(g.gate.queued).toBe(0);
    expect(g.timers.pending).toBe(0);
  });

  test('a full queue: the longest queue gives up its newest waiter, so a flooder cannot turn others away', async () => {
    const g = setup(1, 4);
    await g.ask('flooder');
    for (let i = 0; i < 4; i++) void g.ask('flooder');
    void g.ask('pod-a');
    await g.flush();
    expect(g.gate.queued).toBe(4);
    expect(g.outcomes).toHaveLength(1);
    expect(g.outcomes[0]).toBeInstanceOf(AgentError);
    expect((g.outcomes[0] as AgentError).code).toBe('Overloaded');
    // The flooder itself, asking again, is refused: its queue is the longest.
    void g.ask('flooder');
    await g.flush();
    expect(g.outcomes).toHaveLength(2);
    g.releases[0]!();
    await g.flush();
    g.releases[1]!();
    await g.flush();
    expect(g.granted).toEqual(['flooder', 'flooder', 'pod-a']);
  });

  test('abort removes a waiter and rejects with the reason', async () => {
    const g = setup(1);
    await g.ask('a');
    const controller = new AbortController();
    const waiting = g.gate.acquire('b', undefined, controller.signal).catch((e) => e);
    controller.abort(new Error('closing'));
    expect(((await waiting) as Error).message).toBe('closing');
    expect(g.gate.queued).toBe(0);
  });
});

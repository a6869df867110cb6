// One continuation per turn: promises asked for together resolve one per scheduled turn, in order; and the
// EKS Auth client's calls set off together are sent one per turn, and its answers that arrive together are
// worked one per turn (cached pods' hits and timers are served between them), counted by the turns a test
// drives by hand.
import { expect, test } from 'bun:test';
import type { Timers } from '../../src/clock.ts';
import type { FetchLike } from '../../src/eks-auth/transport.ts';
import { createLogger } from '../../src/observability/logger.ts';
import { STARVED_LOOP_MS } from '../../src/shared/loop-starvation.ts';
import { createTurnQueue } from '../../src/shared/turn-queue.ts';
import { clientOverFetch } from '../eks-auth/fetch-client.ts';

/** Lets every pending microtask chain run (a few rounds: continuations schedule more). */
async function settle(): Promise<void> {
  for (let i = 0; i < 20; i++) await Promise.resolve();
}

test('nextTurn promises resolve one per turn, in the order asked for', async () => {
  const turns: Array<() => void> = [];
  const nextTurn = createTurnQueue((run) => turns.push(run));
  const order: number[] = [];
  for (let i = 0; i < 3; i++) void nextTurn().then(() => order.push(i));
  await settle();
  expect(order).toEqual([]);
  expect(turns).toHaveLength(1);
  for (let n = 1; n <= 3; n++) {
    turns.shift()?.();
    await settle();
    expect(order).toEqual([0, 1, 2].slice(0, n));
  }
  expect(turns).toHaveLength(0);
});

test('a starved turn: the oldest waiter goes at the next ask once it waited STARVED_LOOP_MS, one per ask', async () => {
  // While a backlog of ready sockets lasts, no turn comes (loop-starvation.ts); a storm's first EKS Auth
  // calls must still go out while its requests are read. Hand-driven turns and clock.
  const turns: Array<() => void> = [];
  let nowMs = 0;
  const nextTurn = createTurnQueue(
    (run) => turns.push(run),
    () => nowMs,
  );
  const order: number[] = [];
  const ask = (i: number) => void nextTurn().then(() => order.push(i));
  ask(0);
  nowMs = STARVED_LOOP_MS - 1;
  ask(1);
  await settle();
  expect(order).toEqual([]); // not starved yet: the turn may still come
  nowMs = STARVED_LOOP_MS;
  ask(2);
  await settle();
  expect(order).toEqual([0]);
  ask(3); // the new head has waited 0 ms
  await settle();
  expect(order).toEqual([0]);
  expect(turns).toHaveLength(1); // still one turn scheduled
  turns.shift()!();
  await settle();
  expect(order).toEqual([0, 1]); // the turn that came serves the next, one per turn as before
  nowMs += STARVED_LOOP_MS;
  ask(4);
  await settle();
  expect(order).toEqual([0, 1, 2]);
  turns.shift()!();
  await settle();
  expect(order).toEqual([0, 1, 2, 3]);
  turns.shift()!();
  await settle();
  expect(order).toEqual([0, 1, 2, 3, 4]);
  expect(turns).toHaveLength(0);
});

test('the real schedule lets a timer run between two turns', async () => {
  const nextTurn = createTurnQueue();
  const seen: string[] = [];
  setTimeout(() => seen.push('timer'), 0);
  const busyTurn = async (name: string) => {
    await nextTurn();
    const until = performance.now() + 3;
    while (performance.now() < until) {
      // A turn of work: the timer is due before the second one starts.
    }
    seen.push(name);
  };
  await Promise.all([busyTurn('first'), busyTurn('second')]);
  expect(seen.indexOf('timer')).toBeLessThan(seen.indexOf('second'));
});

test('EKS Auth calls set off together are sent one per turn, and failing together worked one per turn', async () => {
  const zeroDelay: Array<() => void> = [];
  const timers: Timers = {
    setTimeout: (run, ms) => {
      if (ms === 0) zeroDelay.push(run);
      return run;
    },
    clearTimeout: () => {},
  };
  const answers: Array<() => void> = [];
  const fetch: FetchLike = () =>
    new Promise((resolve) => {
      answers.push(() =>
        resolve(
          new Response(null, { status: 500, headers: { 'x-amzn-errortype': 'InternalServerException' } }),
        ),
      );
    });
  const lines: string[] = [];
  const client = clientOverFetch(fetch, {
    timers,
    logger: createLogger('warn', { write: (line: string) => void lines.push(line) }),
  });
  const CALLS = 5;
  const calls = Array.from({ length: CALLS }, (_, i) =>
    client.assumeRoleForPodIdentity(`eyJhbGciOiJSUzI1NiJ9.e30.c2ln${i}`).catch((e: Error) => e),
  );
  await settle();
  expect(answers).toHaveLength(0);
  for (let n = 1; n <= CALLS; n++) {
    zeroDelay.shift()?.();
    await settle();
    expect(answers).toHaveLength(n); // one signing and fetch() per turn
  }
  for (const answer of answers.splice(0)) answer(); // one batch, as the HTTP client delivers them
  await settle();
  expect(lines).toHaveLength(0);
  for (let n = 1; n <= CALLS; n++) {
    zeroDelay.shift()?.();
    await settle();
    expect(lines).toHaveLength(n); // one failure (classified, logged, answered) per turn
  }
  for (const err of await Promise.all(calls)) expect(err).toMatchObject({ code: 'InternalServerException' });
  client.close();
});

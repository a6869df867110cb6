import { expect, test } from 'bun:test';
import { raceTimer } from '../../src/shared/race-timer.ts';
import { deferred } from '../helpers/fake-eks-auth.ts';
import { createVirtualTimers } from '../helpers/virtual-timers.ts';

test('work that settles first wins, and its timer is cleared', async () => {
  const timers = createVirtualTimers();
  const work = deferred<string>();
  const waiting = raceTimer(work.promise, 1_000, () => 'timeout', timers);
  expect(timers.pending).toBe(1);
  work.resolve('done');
  expect(await waiting).toBe('done');
  expect(timers.pending).toBe(0);
});

test('a rejection of the work passes through and clears the timer', async () => {
  const timers = createVirtualTimers();
  const work = deferred<string>();
  const waiting = raceTimer(work.promise, 1_000, () => 'timeout', timers);
  work.reject(new Error('failed'));
  await expect(waiting).rejects.toThrow('failed');
  expect(timers.pending).toBe(0);
});

test('once the time passes: what onTimeout returns, or what it throws; the work goes on', async () => {
  const timers = createVirtualTimers();
  const work = deferred<string>();
  const returned = raceTimer(work.promise, 1_000, () => 'timeout', timers);
  const thrown = raceTimer(
    work.promise,
    500,
    (): never => {
      throw new Error('patience');
    },
    timers,
  );
  timers.advance(499);
  timers.advance(1);
  await expect(thrown).rejects.toThrow('patience');
  timers.advance(500);
  expect(await returned).toBe('timeout');
  work.resolve('late');
  expect(await work.promise).toBe('late');
});

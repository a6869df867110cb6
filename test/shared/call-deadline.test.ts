import { expect, test } from 'bun:test';
import { startCallDeadline } from '../../src/shared/call-deadline.ts';
import { createVirtualTimers } from '../helpers/virtual-timers.ts';

test('at the deadline the call is aborted with a TimeoutError and timedOut says so', () => {
  const timers = createVirtualTimers();
  const deadline = startCallDeadline(100, undefined, timers);
  timers.advance(99);
  expect(deadline.signal.aborted).toBe(false);
  timers.advance(1);
  expect(deadline.signal.aborted).toBe(true);
  expect((deadline.signal.reason as DOMException).name).toBe('TimeoutError');
  expect(deadline.timedOut).toBe(true);
});

test("the parent's abort aborts the call with its reason, not as a timeout", () => {
  const timers = createVirtualTimers();
  const parent = new AbortController();
  const deadline = startCallDeadline(100, parent.signal, timers);
  parent.abort(new Error('shutting down'));
  expect(deadline.signal.aborted).toBe(true);
  expect((deadline.signal.reason as Error).message).toBe('shutting down');
  expect(deadline.timedOut).toBe(false);
  const already = startCallDeadline(100, parent.signal, timers);
  expect(already.signal.aborted).toBe(true);
});

test('dispose clears the timer and unlinks the parent: a later abort reaches nothing', () => {
  const timers = createVirtualTimers();
  const parent = new AbortController();
  const deadline = startCallDeadline(100, parent.signal, timers);
  deadline.dispose();
  expect(timers.pending).toBe(0);
  parent.abort();
  timers.advance(1_000);
  expect(deadline.signal.aborted).toBe(false);
});

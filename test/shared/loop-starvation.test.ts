// The starvation probe on a hand-driven schedule and clock: starved only once a turn it asked for has not
// come for STARVED_LOOP_MS, then once per interval; a turn that comes ends it.
import { expect, test } from 'bun:test';
import { createStarvationProbe, STARVED_LOOP_MS } from '../../src/shared/loop-starvation.ts';

test('starved once per interval while the turn it asked for does not come; a turn ends it', () => {
  const turns: Array<() => void> = [];
  let nowMs = 100;
  const probe = createStarvationProbe(
    (run) => turns.push(run),
    () => nowMs,
  );
  expect(probe.starved()).toBe(false); // asks for a turn
  expect(turns).toHaveLength(1);
  nowMs += STARVED_LOOP_MS - 1;
  expect(probe.starved()).toBe(false);
  nowMs += 1;
  expect(probe.starved()).toBe(true);
  expect(probe.starved()).toBe(false); // one per interval
  nowMs += STARVED_LOOP_MS;
  expect(probe.starved()).toBe(true);
  expect(turns).toHaveLength(1); // no second turn asked for while one is pending
  turns.shift()!();
  nowMs += 10 * STARVED_LOOP_MS;
  expect(probe.starved()).toBe(false); // the loop turned: a new ask starts a new wait
  expect(turns).toHaveLength(1);
});

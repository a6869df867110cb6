// Timers on a hand-moved monotonic clock: `advance` fires what falls due, in due order, synchronously. For
// parts that take a Timers (src/clock.ts) and must be tested without waiting.
import type { Timers } from '../../src/clock.ts';

export interface VirtualTimers extends Timers {
  now(): number;
  /** Moves time forward by `ms`, firing every timer that falls due (including ones they set), in order. */
  advance(ms: number): void;
  readonly pending: number;
}

export function createVirtualTimers(startMs = 0): VirtualTimers {
  let t = startMs;
  let seq = 0;
  const due = new Map<number, { at: number; callback: () => void }>();
  return {
    now: () => t,
    setTimeout(callback, ms) {
      const id = ++seq;
      due.set(id, { at: t + Math.max(0, ms), callback });
      return id;
    },
    clearTimeout(handle) {
      due.delete(handle as number);
    },
    advance(ms) {
      const end = t + ms;
      for (;;) {
        let nextId: number | undefined;
        let next: { at: number; callback: () => void } | undefined;
        for (const [id, timer] of due)
          if (timer.at <= end && (next === undefined || timer.at < next.at)) {
            nextId = id;
            next = timer;
          }
        if (next === undefined || nextId === undefined) break;
        due.delete(nextId);
        t = next.at;
        next.callback();
      }
      t = end;
    },
    get pending() {
      return due.size;
    },
  };
}

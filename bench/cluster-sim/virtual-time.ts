// Virtual time for the cluster simulator: one event queue (a binary heap ordered by time, then insertion)
// behind the Clock, Timers and monotonic time the agent's modules take as injections. `run` jumps to the next
// due timer instead of ticking, and lets every promise continuation settle before moving on, so a thousand
// agents and their pods run a simulated hour in seconds.
import type { Clock, MonotonicNow, Timers } from '../../src/clock.ts';

interface TimerEvent {
  at: number;
  seq: number;
  fn: (() => void) | undefined;
}

export interface VirtualTime extends Clock, Timers {
  readonly monotonicNow: MonotonicNow;
  /** A promise resolved `ms` from now (virtual); rejected with the signal's reason if it aborts first. */
  sleep(ms: number, signal?: AbortSignal): Promise<void>;
  /** Runs events until the queue is empty or the next one is after `untilMs`; the clock ends at `untilMs`. */
  run(untilMs: number): Promise<void>;
  /** Events executed so far (for the runner's throughput line). */
  readonly executed: number;
}

/** Lets every queued promise continuation run: a macrotask runs only once the microtask queue is empty. */
const settle = () => new Promise<void>((resolve) => setImmediate(resolve));

export function createVirtualTime(startMs: number): VirtualTime {
  let now = startMs;
  let seq = 0;
  let executed = 0;
  const heap: TimerEvent[] = [];

  const before = (a: TimerEvent, b: TimerEvent) => a.at < b.at || (a.at === b.at && a.seq < b.seq);
  function push(e: TimerEvent) {
    heap.push(e);
    let i = heap.length - 1;
    while (i > 0) {
      const p = (i - 1) >> 1;
      if (!before(heap[i]!, heap[p]!)) break;
      [heap[i], heap[p]] = [heap[p]!, heap[i]!];
      i = p;
    }
  }
  function pop(): TimerEvent {
    const top = heap[0]!;
    const last = heap.pop()!;
    if (heap.length > 0) {
      heap[0] = last;
      let i = 0;
      for (;;) {
        const l = 2 * i + 1;
        const r = l + 1;
        let m = i;
        if (l < heap.length && before(heap[l]!, heap[m]!)) m = l;
        if (r < heap.length && before(heap[r]!, heap[m]!)) m = r;
        if (m === i) break;
        [heap[i], heap[m]] = [heap[m]!, heap[i]!];
        i = m;
      }
    }
    return top;
  }

  const setTimer = (fn: () => void, ms: number): TimerEvent => {
    const e: TimerEvent = { at: now + Math.max(0, Number.isFinite(ms) ? ms : 0), seq: seq++, fn };
    push(e);
    return e;
  };

  return {
    now: () => now,
    monotonic: () => now,
    monotonicNow: () => now,
    setTimeout: setTimer,
    clearTimeout(handle) {
      // Cancelled events stay in the heap with no callback (cheaper than removing them).
      if (handle !== undefined && handle !== null) (handle as TimerEvent).fn = undefined;
    },
    sleep(ms, signal) {
      return new Promise<void>((resolve, reject) => {
        if (signal?.aborted) return reject(signal.reason);
        const onAbort = () => {
          e.fn = undefined;
          reject(signal?.reason);
        };
        const e = setTimer(() => {
          signal?.removeEventListener('abort', onAbort);
          resolve();
        }, ms);
        signal?.addEventListener('abort', onAbort, { once: true });
      });
    },
    async run(untilMs) {
      await settle();
      while (heap.length > 0 && heap[0]!.at <= untilMs) {
        const at = heap[0]!.at;
        now = at;
        // Everything due at this instant, then let the continuations it released run.
        while (heap.length > 0 && heap[0]!.at === at) {
          const e = pop();
          const fn = e.fn;
          if (fn === undefined) continue;
          e.fn = undefined;
          executed++;
          fn();
        }
        await settle();
      }
      now = Math.max(now, untilMs);
    },
    get executed() {
      return executed;
    },
  };
}

/** A small seeded PRNG (mulberry32): every run of a scenario is the same run. */
export function createRandom(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

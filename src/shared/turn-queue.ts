// Lets continuations that became ready together run one per event-loop turn: when many EKS Auth calls fail at
// once (their answers arrive in one batch), each one's failure work (classifying, logging, answering its
// waiting pods) would otherwise run back to back before any timer or other request, cached pods' hits
// included. Between two turns the loop serves whatever else is ready.
//
// A turn can be starved (loop-starvation.ts): while a backlog of ready sockets lasts (300 pods' requests
// read in one go), no turn comes. Then each later ask lets the oldest waiter go, once per STARVED_LOOP_MS, so
// the work is still spread among the requests being read: a pod-start storm's first EKS Auth calls go out
// while its requests are still read, instead of after all of them (EKS Auth's full token bucket earns nothing
// until its first call).
import { STARVED_LOOP_MS } from './loop-starvation.ts';

/** Runs `run` on a later turn of the event loop. */
export type Schedule = (run: () => void) => void;

/** setImmediate: the next turn, after timers and I/O that are ready (Bun runs both between immediates). */
export const nextImmediate: Schedule = (run) => setImmediate(run);

/**
 * Returns `nextTurn`: its promises resolve one per scheduled turn, in the order they were asked for (or, when
 * the loop is starved, one per later ask; see above). `now` is monotonic ms on the clock `schedule` runs on.
 */
export function createTurnQueue(
  schedule: Schedule = nextImmediate,
  now: () => number = () => performance.now(),
): () => Promise<void> {
  // Each waiter with when it began to wait for the turn that serves it (the head: for the scheduled one).
  const waiting: Array<{ resolve: () => void; sinceMs: number }> = [];
  // Whether a turn is scheduled: at most one is, and it serves the head when it comes.
  let scheduled = false;
  const releaseOne = () => {
    scheduled = false;
    waiting.shift()?.resolve();
    if (waiting.length > 0) {
      waiting[0]!.sinceMs = now();
      scheduled = true;
      schedule(releaseOne);
    }
  };
  return () =>
    new Promise<void>((resolve) => {
      const nowMs = now();
      if (waiting.length > 0 && nowMs - waiting[0]!.sinceMs >= STARVED_LOOP_MS) {
        // Starved: the head goes now; the scheduled turn, when it comes, serves the next.
        waiting.shift()!.resolve();
        if (waiting.length > 0) waiting[0]!.sinceMs = nowMs;
      }
      waiting.push({ resolve, sinceMs: nowMs });
      if (!scheduled) {
        scheduled = true;
        schedule(releaseOne);
      }
    });
}

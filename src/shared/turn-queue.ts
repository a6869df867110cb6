// Lets continuations that became ready together run one per event-loop turn: when many EKS Auth calls fail at
// once (their answers arrive in one batch), each one's failure work (classifying, logging, answering its
// waiting pods) would otherwise run back to back before any timer or other request, cached pods' hits
// included. Between two turns the loop serves whatever else is ready.

/** Runs `run` on a later turn of the event loop. */
export type Schedule = (run: () => void) => void;

/** setImmediate: the next turn, after timers and I/O that are ready (Bun runs both between immediates). */
export const nextImmediate: Schedule = (run) => setImmediate(run);

/** Returns `nextTurn`: its promises resolve one per scheduled turn, in the order they were asked for. */
export function createTurnQueue(schedule: Schedule = nextImmediate): () => Promise<void> {
  const waiting: Array<() => void> = [];
  const releaseOne = () => {
    waiting.shift()?.();
    if (waiting.length > 0) schedule(releaseOne);
  };
  return () =>
    new Promise<void>((resolve) => {
      waiting.push(resolve);
      if (waiting.length === 1) schedule(releaseOne);
    });
}

// Whether the event loop is starved: while a backlog of ready sockets lasts (300 pods' requests read in one
// go), Bun runs only the requests and their promise continuations, no immediate, timer or worker message.
// Work that waits for one of those (a verification worker's answer) can then ask `starved()` and do its next
// step inline instead, once per STARVED_LOOP_MS, so the work is still spread among the requests being read.
// (The EKS Auth turn queue, turn-queue.ts, knows when its own turn was asked for and applies the same bound.)

/** How long a turn may not come before the loop counts as starved (a turn normally comes within 1 ms). */
export const STARVED_LOOP_MS = 4;

export interface StarvationProbe {
  /**
   * True when a turn asked for STARVED_LOOP_MS ago has not come; then false again for the next
   * STARVED_LOOP_MS (one inline step per interval). Asks for a turn when none is pending.
   */
  starved(): boolean;
}

export function createStarvationProbe(
  schedule: (run: () => void) => void = (run) => setImmediate(run),
  now: () => number = () => performance.now(),
): StarvationProbe {
  // When the pending probe turn was asked for (or the last starved answer given); undefined: none pending.
  let sinceMs: number | undefined;
  return {
    starved() {
      const nowMs = now();
      if (sinceMs === undefined) {
        sinceMs = nowMs;
        schedule(() => {
          sinceMs = undefined;
        });
        return false;
      }
      if (nowMs - sinceMs < STARVED_LOOP_MS) return false;
      sinceMs = nowMs;
      return true;
    },
  };
}

// Who still waits for one upstream call (the Demand the fair gate reads, src/eks-auth/types.ts): the pods'
// requests held for it register while they wait and leave when answered, when their patience ends, or when
// their client hangs up. A hang-up also says how long this pod's SDK holds a request (its read timeout), so
// the pod's next attempt is expected to be given up as long after it arrives.
import type { Demand } from '../eks-auth/types.ts';

export interface DemandTracker extends Demand {
  /**
   * A request that arrived at `arrivalMs` (monotonic) waits for the call until the returned leave() is called
   * (idempotent). If `signal` aborts first (the client hung up), it leaves then.
   */
  hold(arrivalMs: number, signal?: AbortSignal): () => void;
}

export function createDemand(now: () => number): DemandTracker {
  // Arrivals of the requests waiting now; the earliest is the one expected to be given up first.
  const arrivals: number[] = [];
  let idleSinceMs = now();
  let holdsMs: number | undefined;

  function leave(arrivalMs: number, hungUp: boolean): void {
    const i = arrivals.indexOf(arrivalMs);
    if (i < 0) return;
    arrivals.splice(i, 1);
    const nowMs = now();
    if (hungUp) holdsMs = nowMs - arrivalMs;
    if (arrivals.length === 0) idleSinceMs = nowMs;
  }

  return {
    get waiting() {
      return arrivals.length;
    },
    get idleSinceMs() {
      return idleSinceMs;
    },
    get expectedEndMs() {
      if (holdsMs === undefined || arrivals.length === 0) return undefined;
      let earliest = arrivals[0]!;
      for (const a of arrivals) if (a < earliest) earliest = a;
      return earliest + holdsMs;
    },
    hold(arrivalMs, signal) {
      arrivals.push(arrivalMs);
      let done = false;
      const onAbort = () => end(true);
      const end = (hungUp: boolean) => {
        if (done) return;
        done = true;
        signal?.removeEventListener('abort', onAbort);
        leave(arrivalMs, hungUp);
      };
      if (signal?.aborted) end(true);
      else signal?.addEventListener('abort', onAbort, { once: true });
      return () => end(false);
    },
  };
}

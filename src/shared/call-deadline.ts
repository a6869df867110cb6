// One outbound call's deadline, linked to its caller's signal (shutdown): the call is aborted when either
// fires, and `timedOut` tells which. One controller per call, linked by a listener removed in dispose(), not
// AbortSignal.any/timeout: Bun keeps every signal derived from a long-lived one (the client's shutdown signal)
// alive, which leaked one AbortSignal per EKS Auth call (~7,000 after 10,000 calls, measured).
import { systemTimers, type Timers } from '../clock.ts';

export interface CallDeadline {
  /** Pass to fetch: aborted at the deadline or when the parent is. */
  readonly signal: AbortSignal;
  /** Whether the deadline (not the parent) aborted the call. */
  readonly timedOut: boolean;
  /** Clears the timer and unlinks the parent; call it once the call has settled. */
  dispose(): void;
}

/** Starts a deadline of `ms`; the abort reason at the deadline is a TimeoutError naming it. */
export function startCallDeadline(
  ms: number,
  parent: AbortSignal | undefined,
  timers: Timers = systemTimers,
): CallDeadline {
  const controller = new AbortController();
  let timedOut = false;
  const timer = timers.setTimeout(() => {
    timedOut = true;
    controller.abort(new DOMException(`timed out after ${ms} ms`, 'TimeoutError'));
  }, ms);
  const onParentAbort = () => controller.abort(parent?.reason);
  if (parent?.aborted) onParentAbort();
  else parent?.addEventListener('abort', onParentAbort, { once: true });
  return {
    signal: controller.signal,
    get timedOut() {
      return timedOut;
    },
    dispose() {
      timers.clearTimeout(timer);
      parent?.removeEventListener('abort', onParentAbort);
    },
  };
}

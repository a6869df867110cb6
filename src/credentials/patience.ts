// How long a request waits for its miss: the upstream call goes on past it (it belongs to the single-flight)
// and fills the cache for the SDK's retry; the request is answered with a retryable error when patience ends:
// the call's latest failure while it is held through EKS Auth's server-side failures (its code and sanitised
// message, what the pod would have got at once before), else RequestTimeoutException.
import type { Timers } from '../clock.ts';
import { AgentError } from '../errors.ts';
import { raceTimer } from '../shared/race-timer.ts';
import type { CredentialEntry } from './entry.ts';

export interface Patience {
  /**
   * The call's result, or once `patienceMs` less `waitedMs` has passed what `failing` says the call last failed
   * with (it goes on), or RequestTimeoutException when it has not failed.
   */
  wait(
    call: Promise<CredentialEntry>,
    waitedMs: number,
    failing?: () => AgentError | undefined,
  ): Promise<CredentialEntry>;
}

export function createPatience(timers: Timers, patienceMs: number): Patience {
  const timedOut = (failing?: () => AgentError | undefined): never => {
    const failure = failing?.();
    if (failure !== undefined) throw failure;
    throw new AgentError(
      'RequestTimeoutException',
      `EKS Auth has not answered within ${patienceMs} ms; the call goes on and a retry will be served from the cache`,
    );
  };
  return {
    wait: (call, waitedMs, failing) =>
      raceTimer(call, Math.max(0, patienceMs - waitedMs), () => timedOut(failing), timers),
  };
}

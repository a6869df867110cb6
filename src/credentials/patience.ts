// How long a request waits for its miss: the upstream call goes on past it (it belongs to the single-flight)
// and fills the cache for the SDK's retry; the request is answered with a retryable error when patience ends.
import type { Timers } from '../clock.ts';
import { AgentError } from '../errors.ts';
import { raceTimer } from '../shared/race-timer.ts';
import type { CredentialEntry } from './entry.ts';

export interface Patience {
  /** The call's result, or RequestTimeoutException once `patienceMs` less `waitedMs` has passed. */
  wait(call: Promise<CredentialEntry>, waitedMs: number): Promise<CredentialEntry>;
}

export function createPatience(timers: Timers, patienceMs: number): Patience {
  const timedOut = (): never => {
    throw new AgentError(
      'RequestTimeoutException',
      `EKS Auth has not answered within ${patienceMs} ms; the call goes on and a retry will be served from the cache`,
    );
  };
  return {
    wait: (call, waitedMs) => raceTimer(call, Math.max(0, patienceMs - waitedMs), timedOut, timers),
  };
}

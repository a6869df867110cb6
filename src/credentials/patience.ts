// How long a request waits for its miss: the upstream call goes on past it (it belongs to the single-flight)
// and fills the cache for the SDK's retry; the request is answered with the retryable RequestTimeoutException
// when patience ends. While the call is held through EKS Auth's server-side failures (it goes on until its
// budget, for the probe that succeeds) the answer carries the call's latest failure (its code and its message,
// sanitised where it was made) but keeps RequestTimeoutException's code and 503: the Go SDKs retry a container-credentials error by its code only
// (RequestTimeoutException, never ServiceUnavailableException or InternalServerException: facts/sdk-clients.md,
// src/errors.ts), and their retry joins the held call; every other SDK retries a 503 at least as readily as
// the 502/504 of the failure itself.
import type { Timers } from '../clock.ts';
import { AgentError } from '../errors.ts';
import { raceTimer } from '../shared/race-timer.ts';
import type { CredentialEntry } from './entry.ts';

export interface Patience {
  /**
   * The call's result, or RequestTimeoutException once `patienceMs` less `waitedMs` has passed (carrying what
   * `failing` says the call last failed with while it goes on).
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
    // The failure's message is an AgentError's, already fit for a pod (the upstream text sanitised and bounded).
    throw new AgentError(
      'RequestTimeoutException',
      failure === undefined
        ? `EKS Auth has not answered within ${patienceMs} ms; the call goes on and a retry will be served from the cache`
        : `EKS Auth is failing (${failure.code}): ${failure.message}; the call goes on and a retry will be served from the cache once EKS Auth answers`,
    );
  };
  return {
    wait: (call, waitedMs, failing) =>
      raceTimer(call, Math.max(0, patienceMs - waitedMs), () => timedOut(failing), timers),
  };
}

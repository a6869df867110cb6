// What a failed EKS Auth call does to the credential path, read from the error table (src/errors.ts): a
// pod-level failure is remembered and evicts what the pod holds; any other failure keeps serving what is
// cached while it is still servable; a failed renewal is retried on the public agent's schedule.
import type { Clock } from '../clock.ts';
import { AgentError, evicts, isRemembered } from '../errors.ts';
import type { CredentialsMetrics } from '../observability/metrics.ts';
import type { CredentialCache } from './cache.ts';
import type { CredentialEntry } from './entry.ts';
import type { FailureMemory } from './failure-memory.ts';

/** A recoverable renewal failure is retried after this, plus up to as much again of jitter. */
export const RENEWAL_RETRY_MS = 60_000;

export interface FailurePolicyOptions {
  cache: CredentialCache;
  failures: FailureMemory;
  clock: Clock;
  metrics: Pick<CredentialsMetrics, 'cacheErrors'>;
  random: () => number;
}

export interface FailurePolicy {
  /** A fetch for `key` failed with `error`: counted, and remembered and evicted when it is about the pod. */
  fetchFailed(key: string, token: string, error: AgentError): void;
  /** The entry to answer with instead of `err` (EKS Auth slow or failing), or undefined to answer `err`. */
  fallback(err: unknown, key: string, previous: CredentialEntry | undefined): CredentialEntry | undefined;
  /** Whether a renewal failing with `err` evicted its entry (else it is retried later). */
  evicted(err: unknown): boolean;
  /** Moves a renewal that failed recoverably to its next attempt. */
  retryRenewalLater(entry: CredentialEntry): void;
}

export function createFailurePolicy(options: FailurePolicyOptions): FailurePolicy {
  const { cache, failures, clock, metrics, random } = options;
  return {
    fetchFailed(key, token, error) {
      const podLevel = evicts(error);
      metrics.cacheErrors.labels(podLevel ? 'NonRecoverable' : 'Recoverable', error.code).inc();
      if (isRemembered(error)) failures.remember(token, error, clock.monotonic());
      if (podLevel) cache.evict(key);
    },
    fallback(err, key, previous) {
      if (!(err instanceof AgentError) || evicts(err) || previous === undefined) return undefined;
      // Only what is still servable, and only if nothing replaced or evicted it meanwhile.
      if (clock.now() >= previous.servableUntilMs || cache.peek(key) !== previous) return undefined;
      return previous;
    },
    evicted: (err) => err instanceof AgentError && evicts(err),
    retryRenewalLater(entry) {
      entry.renewAtMonotonicMs = clock.monotonic() + RENEWAL_RETRY_MS + random() * RENEWAL_RETRY_MS;
    },
  };
}

// Answers "credentials for this token": a synchronous cache lookup for hits, and for misses the stages in
// order: failure memory, joining by token, the token checker, the cache, one shared upstream call per key
// (entry-fetcher.ts) that finishes on its own and fills the cache, the request's patience and the fallback.
// Just over 200 lines so the miss reads top to bottom in one place; each stage's policy is in its own file.
import { type Clock, systemTimers, type Timers } from '../clock.ts';
import type { EksAuthClient } from '../eks-auth/types.ts';
import type { AgentError } from '../errors.ts';
import type { Logger } from '../observability/logger.ts';
import type { CredentialsMetrics } from '../observability/metrics.ts';
import { canonicalToken } from '../token/canonical-token.ts';
import type { TokenChecker } from '../token/token-checker.ts';
import type { CredentialCache } from './cache.ts';
import type { CredentialEntry } from './entry.ts';
import { createEntryFetcher, type EntryFetcher } from './entry-fetcher.ts';
import { createFailureMemory, type FailureMemory } from './failure-memory.ts';
import { createFailurePolicy, type FailurePolicy } from './failure-policy.ts';
import { createPatience } from './patience.ts';
import { createSingleFlight } from './single-flight.ts';

/** Fairness key of background renewals: they queue for EKS Auth as one client beside the pods. */
export const REFRESH_CLIENT = '(refresh)';

export type CredentialMetrics = Pick<
  CredentialsMetrics,
  'singleFlightShared' | 'subjectMismatches' | 'cacheErrors'
> & {
  readonly hot: Pick<CredentialsMetrics['hot'], 'hit' | 'miss'>;
};

export interface CredentialServiceOptions {
  client: EksAuthClient;
  cache: CredentialCache;
  /** The token stage, its verification mode chosen when it was built (src/token/token-checker.ts). */
  checker: TokenChecker;
  retentionMs: number;
  /** How long a request waits for a miss before a retryable error (the call itself goes on). */
  clientPatienceMs: number;
  /** Pod-level failures answered from memory (default FAILURE_MEMORY_MS, MAX_REMEMBERED_FAILURES). */
  failureMemory?: FailureMemory;
  clock: Clock;
  /** Timers for the patience wait; the system's unless a simulator runs the agent in virtual time. */
  timers?: Timers;
  metrics: CredentialMetrics;
  logger: Logger;
  random?: () => number;
}

export interface CredentialService {
  /**
   * Hot path: the entry to serve for this token now, or undefined. Synchronous; allocates only the slice of the
   * token a token-keyed entry is found by (cache.ts).
   */
  lookup(token: string): CredentialEntry | undefined;
  /**
   * Slow path: checks the token, then shares or starts the upstream call. `client` (the source address)
   * is the fairness key under which a new upstream call queues; `waitedMs`, time the request already spent
   * waiting (for a rate-limit token), comes off its patience. `hungUp` aborts when the client hangs up: the
   * request then no longer counts as waiting for the upstream call (demand.ts).
   */
  resolve(token: string, client?: string, waitedMs?: number, hungUp?: AbortSignal): Promise<CredentialEntry>;
  /**
   * Whether resolving this token now starts no new work: it joins a resolution in progress, or its failure
   * is remembered. Such requests cost nothing, so rate limits do not count them.
   */
  costsNothing(token: string): boolean;
  /** Renews an entry in the background (the refresher's call); never throws. */
  renew(entry: CredentialEntry): Promise<'success' | 'recoverable_error' | 'evicted'>;
  /** Resolves once no upstream call is in flight (tests wait on it instead of polling `inFlight`). */
  idle(): Promise<void>;
  /** Upstream calls in flight. */
  readonly inFlight: number;
}

/** A miss after its token checks: what its joiners share. */
interface CheckedMiss {
  key: string;
  /** What the cache held for the key, if anything: the fallback while EKS Auth fails. */
  previous: CredentialEntry | undefined;
  /** Set when the cache already holds fresh credentials for the key (a rotated token of a known pod). */
  fresh?: CredentialEntry;
  call?: Promise<CredentialEntry>;
}

/** The stages a miss runs through after joining by token. */
interface MissStages {
  checker: TokenChecker;
  cache: CredentialCache;
  clock: Clock;
  fetcher: EntryFetcher;
}

/** `token` is canonical (one spelling per token): in claims mode it is the cache key itself. */
async function checkAndStart(stages: MissStages, token: string, client: string): Promise<CheckedMiss> {
  const { cache, clock, fetcher } = stages;
  const checked = await stages.checker.check(token);
  const { key, expiresAtMs, pod, subject } = checked;
  if (key !== token) cache.indexToken(token, key, expiresAtMs);
  const previous = cache.peek(key);
  if (previous !== undefined) {
    // A newer token for the same verified pod: renewals use it from now on.
    if (expiresAtMs > previous.tokenExpiresAtMs) {
      previous.token = token;
      previous.tokenExpiresAtMs = expiresAtMs;
    }
    if (clock.now() < previous.freshUntilMs) return { key, previous, fresh: previous };
  }
  const request = {
    key,
    token,
    tokenExpiresAtMs: expiresAtMs,
    reason: 'request',
    pod,
    client,
    subject,
    // With nothing servable cached, a failure would only be answered: the call is held through EKS Auth's
    // server-side failures instead, for the recovery within the pod's patience or its SDK's retries. A pod
    // that still has servable credentials gets them at once when the call fails (the fallback), as before.
    hold: previous === undefined || clock.now() >= previous.servableUntilMs,
  } as const;
  return { key, previous, call: fetcher.fetch(request) };
}

/** A background renewal: the refresher's call, never throws. */
async function renewEntry(
  fetcher: EntryFetcher,
  policy: FailurePolicy,
  entry: CredentialEntry,
): Promise<'success' | 'recoverable_error' | 'evicted'> {
  try {
    await fetcher.fetch({
      key: entry.key,
      token: entry.token,
      tokenExpiresAtMs: entry.tokenExpiresAtMs,
      reason: 'refresh',
      pod: entry.pod,
      client: REFRESH_CLIENT,
      subject: entry.subject,
    });
    return 'success';
  } catch (err) {
    if (policy.evicted(err)) return 'evicted';
    policy.retryRenewalLater(entry);
    return 'recoverable_error';
  }
}

export function createCredentialService(options: CredentialServiceOptions): CredentialService {
  const { cache, checker, clock, metrics, logger } = options;
  const random = options.random ?? Math.random;
  const failures = options.failureMemory ?? createFailureMemory();
  const policy = createFailurePolicy({ cache, failures, clock, metrics, random });
  const fetcher = createEntryFetcher({
    client: options.client,
    cache,
    retentionMs: options.retentionMs,
    clock,
    random,
    metrics,
    logger,
    onFailure: policy.fetchFailed,
  });
  const patience = createPatience(options.timers ?? systemTimers, options.clientPatienceMs);
  // Requests with the very token of a miss being resolved join it without checking the token again: a
  // pod-start burst or an SDK's back-to-back retries cost one claim parse and one signature check. Held until
  // the miss's upstream call settles.
  const misses = createSingleFlight<CheckedMiss>({ holdUntil: (miss) => miss.call });
  const { hit, miss: missed } = metrics.hot;
  const stages = { checker, cache, clock, fetcher };

  return {
    lookup(token) {
      const entry = cache.lookup(token, clock.now());
      if (entry !== undefined) {
        entry.accessed = true;
        hit.inc();
      }
      return entry;
    },

    costsNothing(spelling) {
      const token = canonicalToken(spelling);
      return misses.has(token) || failures.recall(token, clock.monotonic()) !== undefined;
    },

    async resolve(spelling, client = '', waitedMs = 0, hungUp) {
      missed.inc();
      const arrivedMs = clock.monotonic() - waitedMs;
      // Every later step (failure memory, joining, the claims-mode cache key, EKS Auth) sees one spelling.
      const token = canonicalToken(spelling);
      const remembered = failures.recall(token, clock.monotonic());
      if (remembered !== undefined) throw remembered;
      const joined = misses.run(token, () => checkAndStart(stages, token, client));
      if (joined.shared) metrics.singleFlightShared.inc();
      const { key, previous, fresh, call } = await joined.promise;
      if (fresh !== undefined) {
        fresh.accessed = true;
        return fresh;
      }
      // Counted as waiting for the call while it waits: the fair gate serves calls someone still waits for first.
      const leave = fetcher.demand(key)?.hold(arrivedMs, hungUp);
      try {
        return await patience.wait(call!, waitedMs, () => fetcher.failing(key));
      } catch (err) {
        // Keep serving the credentials we still hold while EKS Auth is slow or failing.
        const fallback = policy.fallback(err, key, previous);
        if (fallback === undefined) throw err;
        logger.debug({ code: (err as AgentError).code }, 'serving cached credentials while EKS Auth fails');
        return fallback;
      } finally {
        leave?.();
      }
    },

    renew: (entry) => renewEntry(fetcher, policy, entry),

    idle: () => fetcher.idle(),
    get inFlight() {
      return fetcher.inFlight;
    },
  };
}

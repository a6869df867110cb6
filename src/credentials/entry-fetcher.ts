// The upstream stage of the credential path: one EKS Auth call per cache key in flight (single-flight), its
// answer checked against the token's subject, turned into an entry and stored. The call belongs to the
// flight, never to a request: a request that stops waiting does not cancel it.
import type { Clock } from '../clock.ts';
import type { EksAuthClient } from '../eks-auth/types.ts';
import { AgentError, toAgentError } from '../errors.ts';
import type { Logger } from '../observability/logger.ts';
import type { CredentialsMetrics } from '../observability/metrics.ts';
import type { CredentialCache } from './cache.ts';
import { createDemand, type DemandTracker } from './demand.ts';
import { type CredentialEntry, createEntry } from './entry.ts';
import { createSingleFlight } from './single-flight.ts';
import { createSubjectNames } from './subject-names.ts';

/**
 * How long a request's upstream call may keep retrying or waiting for its paced turn. It outlives the
 * request (see clientPatienceMs) and fills the cache for the SDK's retry: botocore's three attempts span
 * about 8 s, so a queue drained at the upstream's pace within that still serves it.
 */
export const REQUEST_UPSTREAM_BUDGET_MS = 10_000;
/** The same for background renewals, which nobody waits for. */
export const REFRESH_UPSTREAM_BUDGET_MS = 10_000;

export interface FetchRequest {
  readonly key: string;
  readonly token: string;
  readonly tokenExpiresAtMs: number;
  readonly reason: 'request' | 'refresh';
  readonly pod: string | undefined;
  /** Fairness key under which the call queues for EKS Auth (the client's address, or the refresher). */
  readonly client: string;
  /** `namespace/serviceAccount` EKS Auth must answer for, when known. */
  readonly subject: string | undefined;
  /**
   * Nothing cached could be served instead if the call fails: the call is held through EKS Auth's server-side
   * failures until its budget (AssumeRoleOptions.hold), and its pod's requests answered at their patience.
   */
  readonly hold?: boolean;
}

export interface EntryFetcherOptions {
  client: EksAuthClient;
  cache: CredentialCache;
  retentionMs: number;
  clock: Clock;
  random: () => number;
  metrics: Pick<CredentialsMetrics, 'singleFlightShared' | 'subjectMismatches'>;
  logger: Logger;
  /** Every failure, once per call (the failure policy: counting, memory, eviction). */
  onFailure(key: string, token: string, error: AgentError): void;
}

export interface EntryFetcher {
  /** Joins the call in flight for `request.key` or starts one; rejections are AgentErrors. */
  fetch(request: FetchRequest): Promise<CredentialEntry>;
  /** What the call in flight for `key` last failed with while it is held (FetchRequest.hold) and goes on. */
  failing(key: string): AgentError | undefined;
  /** Who waits for the call in flight for `key` (requests register there while they wait for it). */
  demand(key: string): DemandTracker | undefined;
  /** Resolves once no upstream call is in flight. */
  idle(): Promise<void>;
  /** Upstream calls in flight. */
  readonly inFlight: number;
}

export function createEntryFetcher(options: EntryFetcherOptions): EntryFetcher {
  const { client, cache, retentionMs, clock, random, metrics, logger, onFailure } = options;
  const flights = createSingleFlight<CredentialEntry>();
  const demands = new Map<string, DemandTracker>();
  /** Per key in flight: its held call's latest failure (one entry per flight, gone when it settles). */
  const heldFailures = new Map<string, AgentError>();
  const subjects = createSubjectNames();

  /** EKS Auth must answer for the token's own subject; anything else is refused and never cached. */
  function checkSubject(expected: string | undefined, returned: string) {
    if (expected === undefined || returned === expected) return;
    metrics.subjectMismatches.inc();
    // Namespaces and service-account names are not secrets (the audit log carries them too).
    logger.error({ expected, returned }, 'EKS Auth answered for another subject than the token; refused');
    throw new AgentError(
      'UpstreamSubjectMismatch',
      "EKS Auth answered for another namespace or service account than the token's; the credentials were refused",
    );
  }

  async function fetchAndStore(r: FetchRequest, demand: DemandTracker): Promise<CredentialEntry> {
    try {
      const result = await client.assumeRoleForPodIdentity(r.token, {
        budgetMs: r.reason === 'request' ? REQUEST_UPSTREAM_BUDGET_MS : REFRESH_UPSTREAM_BUDGET_MS,
        reason: r.reason,
        client: r.client,
        demand,
        hold: r.hold === true,
        onHeld: (err) => heldFailures.set(r.key, toAgentError(err)),
      });
      const subject = subjects.of(result.subject.namespace, result.subject.serviceAccount);
      checkSubject(r.subject, subject);
      const nowMs = clock.now();
      const timing = { nowMs, monotonicMs: clock.monotonic(), retentionMs, random: random() };
      const entry = createEntry(r.key, r.token, r.tokenExpiresAtMs, result, timing, r.pod, subject);
      if (entry.servableUntilMs <= nowMs) {
        throw new AgentError(
          'UpstreamMalformedResponse',
          'EKS Auth returned credentials that expire within 15 s',
        );
      }
      // A request fetched it, so someone wants it: that buys one background renewal. (SDKs cache credentials
      // and ask again only near expiry, so they may never produce a hit in between.)
      entry.accessed = r.reason === 'request';
      // A newer token seen for this pod while the call was in flight must not be lost with the old entry.
      const current = cache.peek(r.key);
      if (current !== undefined && current.tokenExpiresAtMs > entry.tokenExpiresAtMs) {
        entry.token = current.token;
        entry.tokenExpiresAtMs = current.tokenExpiresAtMs;
      }
      cache.set(entry);
      return entry;
    } catch (err) {
      const e = toAgentError(err);
      onFailure(r.key, r.token, e);
      throw e;
    }
  }

  return {
    fetch(request) {
      const { key } = request;
      const joined = flights.has(key) ? demands.get(key) : undefined;
      const demand = joined ?? createDemand(() => clock.monotonic());
      const flight = flights.run(key, () => fetchAndStore(request, demand));
      if (flight.shared) metrics.singleFlightShared.inc();
      else {
        demands.set(key, demand);
        const forget = () => {
          if (demands.get(key) === demand) demands.delete(key);
          heldFailures.delete(key);
        };
        flight.promise.then(forget, forget);
      }
      // Nobody may be waiting any more when it fails; the failure is already counted and logged.
      flight.promise.catch(() => {});
      return flight.promise;
    },
    failing: (key) => heldFailures.get(key),
    demand: (key) => demands.get(key),
    idle: () => flights.idle(),
    get inFlight() {
      return flights.size;
    },
  };
}

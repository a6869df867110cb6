// Answers "credentials for this token": a synchronous cache lookup for hits, and for misses one shared
// upstream call per key (single-flight) that finishes on its own and fills the cache, whoever still waits.
import { type Clock, systemTimers, type Timers } from '../clock.ts';
import type { VerifyMode } from '../config/server-config.ts';
import type { EksAuthClient } from '../eks-auth/types.ts';
import { AgentError } from '../errors.ts';
import type { Logger } from '../observability/logger.ts';
import type { Metrics } from '../observability/metrics.ts';
import { raceTimer } from '../shared/race-timer.ts';
import { canonicalToken } from '../token/canonical-token.ts';
import { parseTokenClaims } from '../token/token-claims.ts';
import type { TokenVerifier, VerifiedIdentity } from '../token/types.ts';
import type { CredentialCache } from './cache.ts';
import { type CredentialEntry, createEntry } from './entry.ts';
import { createFailureMemory, type FailureMemory } from './failure-memory.ts';
import { createSingleFlight } from './single-flight.ts';

/**
 * EKS Auth answers that say the pod itself may not have credentials (facts/eks-auth-api.md): its cached
 * credentials are evicted. Every other failure (throttling, outages, a proxy's error page, a malformed
 * request) says nothing about the pod, so the credentials it still holds stay and keep being served.
 */
export const IRRECOVERABLE_CODES: ReadonlySet<string> = new Set([
  'AccessDeniedException',
  'ExpiredTokenException',
  'InvalidTokenException',
  'ResourceNotFoundException',
]);

/**
 * How long a request's upstream call may keep retrying or waiting for its paced turn. It outlives the
 * request (see clientPatienceMs) and fills the cache for the SDK's retry: botocore's three attempts span
 * about 8 s, so a queue drained at the upstream's pace within that still serves it.
 */
export const REQUEST_UPSTREAM_BUDGET_MS = 10_000;
/** The same for background renewals, which nobody waits for. */
export const REFRESH_UPSTREAM_BUDGET_MS = 10_000;
/** Fairness key of background renewals: they queue for EKS Auth as one client beside the pods. */
export const REFRESH_CLIENT = '(refresh)';

export interface CredentialServiceOptions {
  client: EksAuthClient;
  cache: CredentialCache;
  verifyMode: VerifyMode;
  /**
   * Required when verifyMode is 'signature'; verified tokens are cached by pod identity. While the verifier
   * cannot verify yet (no signing keys have loaded), requests are served in claims mode.
   */
  verifier?: TokenVerifier;
  retentionMs: number;
  /** How long a request waits for a miss before a retryable error (the call itself goes on). */
  clientPatienceMs: number;
  /** Pod-level failures answered from memory (default FAILURE_MEMORY_MS, MAX_REMEMBERED_FAILURES). */
  failureMemory?: FailureMemory;
  clock: Clock;
  /** Timers for the patience wait; the system's unless a simulator runs the agent in virtual time. */
  timers?: Timers;
  metrics: Metrics;
  logger: Logger;
  random?: () => number;
}

export interface CredentialService {
  /** Hot path: the entry to serve for this token now, or undefined. Synchronous, no allocation. */
  lookup(token: string): CredentialEntry | undefined;
  /**
   * Slow path: checks the token, then shares or starts the upstream call. `client` (the source address)
   * is the fairness key under which a new upstream call queues; `waitedMs`, time the request already spent
   * waiting (for a rate-limit token), comes off its patience.
   */
  resolve(token: string, client?: string, waitedMs?: number): Promise<CredentialEntry>;
  /**
   * Whether resolving this token now starts no new work: it joins a resolution in progress, or its failure
   * is remembered. Such requests cost nothing, so rate limits do not count them.
   */
  costsNothing(token: string): boolean;
  /** Renews an entry in the background (the refresher's call); never throws. */
  renew(entry: CredentialEntry): Promise<'success' | 'recoverable_error' | 'evicted'>;
  /** Upstream calls in flight. */
  readonly inFlight: number;
}

/** Cache key of a verified pod: its UID makes it unique; namespace and service account make it readable. */
export function identityKey(id: VerifiedIdentity): string {
  return `${id.namespace}/${id.serviceAccount}/${id.podUid}`;
}

export function createCredentialService(options: CredentialServiceOptions): CredentialService {
  const { client, cache, verifier, retentionMs, clientPatienceMs, clock, metrics, logger } = options;
  const random = options.random ?? Math.random;
  const timers = options.timers ?? systemTimers;
  const flights = createSingleFlight<CredentialEntry>();
  const failures = options.failureMemory ?? createFailureMemory();
  const checkClaims = options.verifyMode !== 'off';
  if (options.verifyMode === 'signature' && !verifier) {
    throw new Error("verifyMode 'signature' needs a token verifier");
  }
  const hit = metrics.hot.hit;

  /** EKS Auth must answer for the token's own subject; anything else is refused and never cached. */
  function checkSubject(
    expected: string | undefined,
    result: { subject: { namespace: string; serviceAccount: string } },
  ) {
    if (expected === undefined) return;
    const returned = `${result.subject.namespace}/${result.subject.serviceAccount}`;
    if (returned === expected) return;
    metrics.subjectMismatches.inc();
    // Namespaces and service-account names are not secrets (the audit log carries them too).
    logger.error({ expected, returned }, 'EKS Auth answered for another subject than the token; refused');
    throw new AgentError(
      'UpstreamSubjectMismatch',
      "EKS Auth answered for another namespace or service account than the token's; the credentials were refused",
    );
  }

  async function fetchAndStore(
    key: string,
    token: string,
    tokenExpiresAtMs: number,
    reason: 'request' | 'refresh',
    pod: string | undefined,
    fairnessKey: string,
    expectedSubject: string | undefined,
  ): Promise<CredentialEntry> {
    try {
      const result = await client.assumeRoleForPodIdentity(token, {
        budgetMs: reason === 'request' ? REQUEST_UPSTREAM_BUDGET_MS : REFRESH_UPSTREAM_BUDGET_MS,
        reason,
        client: fairnessKey,
      });
      checkSubject(expectedSubject, result);
      const nowMs = clock.now();
      const timing = { nowMs, monotonicMs: clock.monotonic(), retentionMs, random: random() };
      const entry = createEntry(key, token, tokenExpiresAtMs, result, timing, pod);
      if (entry.servableUntilMs <= nowMs) {
        throw new AgentError(
          'UpstreamMalformedResponse',
          'EKS Auth returned credentials that expire within 15 s',
        );
      }
      // A request fetched it, so someone wants it: that buys one background renewal. (SDKs cache credentials
      // and ask again only near expiry, so they may never produce a hit in between.)
      entry.accessed = reason === 'request';
      // A newer token seen for this pod while the call was in flight must not be lost with the old entry.
      const current = cache.peek(key);
      if (current !== undefined && current.tokenExpiresAtMs > entry.tokenExpiresAtMs) {
        entry.token = current.token;
        entry.tokenExpiresAtMs = current.tokenExpiresAtMs;
      }
      cache.set(entry);
      metrics.cacheEntries.set(cache.size);
      return entry;
    } catch (err) {
      const e =
        err instanceof AgentError ? err : new AgentError('InternalError', 'internal error', { cause: err });
      const irrecoverable = IRRECOVERABLE_CODES.has(e.code);
      metrics.cacheErrors.labels(irrecoverable ? 'NonRecoverable' : 'Recoverable', e.code).inc();
      if (irrecoverable) failures.remember(token, e, clock.monotonic());
      if (irrecoverable && cache.delete(key)) {
        metrics.hot.evicted.inc();
        metrics.cacheEntries.set(cache.size);
      }
      throw e;
    }
  }

  function startFlight(
    key: string,
    token: string,
    tokenExpiresAtMs: number,
    reason: 'request' | 'refresh',
    pod: string | undefined,
    fairnessKey: string,
    expectedSubject: string | undefined,
  ) {
    const flight = flights.run(key, () =>
      fetchAndStore(key, token, tokenExpiresAtMs, reason, pod, fairnessKey, expectedSubject),
    );
    if (flight.shared) metrics.singleFlightShared.inc();
    // Nobody may be waiting any more when it fails; the failure is already counted and logged.
    flight.promise.catch(() => {});
    return flight.promise;
  }

  function waitWithPatience(promise: Promise<CredentialEntry>, waitedMs: number): Promise<CredentialEntry> {
    return raceTimer(
      promise,
      Math.max(0, clientPatienceMs - waitedMs),
      (): never => {
        throw new AgentError(
          'RequestTimeoutException',
          `EKS Auth has not answered within ${clientPatienceMs} ms; the call goes on and a retry will be served from the cache`,
        );
      },
      timers,
    );
  }

  interface Prepared {
    key: string;
    /** What the cache held for the key, if anything: the fallback while EKS Auth fails. */
    previous: CredentialEntry | undefined;
    /** Set when the cache already holds fresh credentials for the key (a rotated token of a known pod). */
    fresh?: CredentialEntry;
    flight?: Promise<CredentialEntry>;
  }
  const pendingByToken = new Map<string, Promise<Prepared>>();

  /**
   * Entries fetched in claims mode are keyed by their token. Once keys load, the first verified miss moves
   * them to their verified pod identity (each token checked on the verifier like any other), so a rotated
   * token of a pod first served in claims mode is still a hit, and their fallback survives an outage. A token
   * that fails the check keeps its token key and ages out.
   */
  let migration: Promise<void> | undefined;
  let claimsEntries = false;
  async function migrateClaimsEntries(v: TokenVerifier): Promise<void> {
    const tokenKeyed = [...cache.entries()].filter((e) => e.key === e.token);
    for (const entry of tokenKeyed) {
      let identity: VerifiedIdentity;
      try {
        identity = await v.verify(entry.token);
      } catch {
        continue;
      }
      const key = identityKey(identity);
      if (cache.peek(entry.key) !== entry) continue;
      if (cache.peek(key) === undefined) {
        cache.delete(entry.key);
        cache.set({ ...entry, key, pod: identity.podName });
      }
      cache.indexToken(entry.token, key, entry.tokenExpiresAtMs);
    }
    if (tokenKeyed.length > 0)
      logger.info({ entries: tokenKeyed.length }, 'claims-mode entries verified and re-keyed');
  }

  /**
   * Checks the token (claims, then signature when keys are held), then shares or starts the upstream call.
   * `token` is already canonical (one spelling per token): in claims mode it is the cache key itself.
   */
  async function prepare(token: string, fairnessKey: string): Promise<Prepared> {
    let key = token;
    let tokenExpiresAtMs = Number.POSITIVE_INFINITY;
    let pod: string | undefined;
    let expectedSubject: string | undefined;
    const verified = verifier !== undefined && (verifier.canVerify?.() ?? true);
    // The verifier checks the claims itself (before the signature), so they are parsed here only without it.
    if (checkClaims && !verified) {
      const claims = parseTokenClaims(token, Math.floor(clock.now() / 1000));
      tokenExpiresAtMs = claims.exp * 1000;
      if (claims.namespace && claims.serviceAccount)
        expectedSubject = `${claims.namespace}/${claims.serviceAccount}`;
      // Claims mode while the key source has not loaded: ask it to try again soon (rate-limited, background).
      if (verifier) {
        verifier.requestKeys?.();
        claimsEntries = true;
      }
    }
    if (verified) {
      const identity = await verifier.verify(token);
      // After this token's own checks, so a bad token is refused without waiting for the migration.
      if (claimsEntries) {
        claimsEntries = false;
        migration = migrateClaimsEntries(verifier);
      }
      if (migration !== undefined) await migration;
      key = identityKey(identity);
      pod = identity.podName;
      tokenExpiresAtMs = identity.exp * 1000;
      expectedSubject = `${identity.namespace}/${identity.serviceAccount}`;
      cache.indexToken(token, key, tokenExpiresAtMs);
    }
    const previous = cache.peek(key);
    if (previous !== undefined) {
      // A newer token for the same verified pod: renewals use it from now on.
      if (tokenExpiresAtMs > previous.tokenExpiresAtMs) {
        previous.token = token;
        previous.tokenExpiresAtMs = tokenExpiresAtMs;
      }
      if (clock.now() < previous.freshUntilMs) return { key, previous, fresh: previous };
    }
    return {
      key,
      previous,
      flight: startFlight(key, token, tokenExpiresAtMs, 'request', pod, fairnessKey, expectedSubject),
    };
  }

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
      return pendingByToken.has(token) || failures.recall(token, clock.monotonic()) !== undefined;
    },

    async resolve(spelling, fairnessKey = '', waitedMs = 0) {
      metrics.hot.miss.inc();
      // Every later step (failure memory, joining, the claims-mode cache key, EKS Auth) sees one spelling.
      const token = canonicalToken(spelling);
      const remembered = failures.recall(token, clock.monotonic());
      if (remembered !== undefined) throw remembered;
      // Requests with the very token of a miss already being resolved join it without checking the token
      // again: a pod-start burst or an SDK's back-to-back retries cost one claim parse and one signature
      // check, not one per request.
      let prepared = pendingByToken.get(token);
      if (prepared === undefined) {
        const forget = () => {
          pendingByToken.delete(token);
        };
        prepared = prepare(token, fairnessKey);
        pendingByToken.set(token, prepared);
        // Forgotten when the upstream call settles (or at once when no call was needed or the token failed).
        prepared.then((p) => (p.flight ? p.flight.then(forget, forget) : forget()), forget);
      } else metrics.singleFlightShared.inc();
      const { key, previous, fresh, flight } = await prepared;
      if (fresh !== undefined) {
        fresh.accessed = true;
        return fresh;
      }
      try {
        return await waitWithPatience(flight!, waitedMs);
      } catch (err) {
        // Keep serving the credentials we still hold while EKS Auth is slow or failing.
        if (
          err instanceof AgentError &&
          !IRRECOVERABLE_CODES.has(err.code) &&
          previous !== undefined &&
          clock.now() < previous.servableUntilMs &&
          cache.peek(key) === previous
        ) {
          logger.debug({ code: err.code }, 'serving cached credentials while EKS Auth fails');
          return previous;
        }
        throw err;
      }
    },

    async renew(entry) {
      try {
        await startFlight(
          entry.key,
          entry.token,
          entry.tokenExpiresAtMs,
          'refresh',
          entry.pod,
          REFRESH_CLIENT,
          entry.subject,
        );
        return 'success';
      } catch (err) {
        if (!(err instanceof AgentError) || !IRRECOVERABLE_CODES.has(err.code)) {
          // The public agent's schedule: about a minute, plus up to a minute of jitter.
          entry.renewAtMonotonicMs = clock.monotonic() + 60_000 + random() * 60_000;
          return 'recoverable_error';
        }
        return 'evicted';
      }
    },

    get inFlight() {
      return flights.size;
    },
  };
}

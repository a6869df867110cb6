// A cached credential: the response body serialised once, and the times that decide serving and renewal.
import type { AssumeRoleForPodIdentityResult } from '../eks-auth/types.ts';

/**
 * Never serve credentials with less than this left. The public agent uses the same bound; an SDK that
 * receives them has time for at least one signed call before they expire.
 */
export const MIN_REMAINING_VALIDITY_MS = 15_000;

/**
 * A cache hit with less than this left is renewed on the request path first (old credentials are the
 * fallback if EKS Auth fails). botocore refreshes 15 min before expiry and would otherwise ask on every call.
 * For short-lived credentials (tests) it shrinks to a fifth of the lifetime.
 */
export const FRESH_REMAINING_MS = 20 * 60_000;

/** Share of the credential lifetime after which the background refresher renews an entry. */
export const RENEW_AT_LIFETIME_FRACTION = 0.75;

/** Renewal times are spread by up to this share of the interval, so a pod-start storm does not renew in lockstep. */
export const RENEW_JITTER_FRACTION = 0.1;

/**
 * One per cached pod, so its fields are counted: JavaScriptCore makes an object of 12 fields 112 bytes and one of
 * 13 fields 160 (test/credentials/entry.test.ts; README, footprint (4)). A field nothing reads costs every entry.
 */
export interface CredentialEntry {
  readonly key: string;
  /** The exact 200 body served on a hit. */
  readonly body: string;
  readonly expiresAtMs: number;
  /** Hits before this are served at once; after it the request renews first. */
  readonly freshUntilMs: number;
  /** After this the entry is never served. */
  readonly servableUntilMs: number;
  /**
   * When the background refresher should renew it, on the monotonic clock (an interval from the fetch, so a
   * wall-clock step does not postpone it by the step); moved on recoverable errors.
   */
  renewAtMonotonicMs: number;
  /** The newest token seen for this key: what a renewal sends upstream. */
  token: string;
  /** Expiry of that token (epoch ms): past it, renewal is pointless and the entry is dropped. */
  tokenExpiresAtMs: number;
  /** Set by hits; cleared when renewed. Entries nobody asked for since their last fetch are not renewed. */
  accessed: boolean;
  /** Set once the refresher skipped it as idle, so the skip is counted once. */
  idleCounted: boolean;
  /** `namespace/serviceAccount` as EKS Auth resolved it (authoritative; for audit lines). */
  readonly subject: string;
  /** Pod name from a verified token, when tokens are verified (for audit lines). */
  readonly pod: string | undefined;
}

export interface EntryTiming {
  /** Wall time of the fetch (epoch ms): expiry-based times derive from it. */
  readonly nowMs: number;
  /** Monotonic time of the fetch: the renewal time derives from it. */
  readonly monotonicMs: number;
  readonly retentionMs: number;
  /** 0..1, for the renewal jitter. */
  readonly random: number;
}

/** The container-credentials body every SDK accepts: Expiration in RFC 3339 UTC with a literal Z. */
export function serialiseCredentials(result: AssumeRoleForPodIdentityResult): string {
  const c = result.credentials;
  return JSON.stringify({
    AccessKeyId: c.accessKeyId,
    SecretAccessKey: c.secretAccessKey,
    Token: c.sessionToken,
    AccountId: result.accountId,
    Expiration: c.expiration.toISOString().replace(/\.\d{3}Z$/, 'Z'),
  });
}

export function createEntry(
  key: string,
  token: string,
  tokenExpiresAtMs: number,
  result: AssumeRoleForPodIdentityResult,
  timing: EntryTiming,
  pod?: string,
  /** `namespace/serviceAccount` of `result`, when the caller has it already (subject-names.ts). */
  subject = `${result.subject.namespace}/${result.subject.serviceAccount}`,
): CredentialEntry {
  const { nowMs, monotonicMs, retentionMs, random } = timing;
  const expiresAtMs = result.credentials.expiration.getTime();
  const lifetimeMs = Math.max(0, expiresAtMs - nowMs);
  const renewAfterMs = Math.min(retentionMs, lifetimeMs * RENEW_AT_LIFETIME_FRACTION);
  return {
    key,
    body: serialiseCredentials(result),
    expiresAtMs,
    // Never later than servableUntilMs: short lifetimes (under 75 s) would otherwise be served below 15 s.
    freshUntilMs: Math.min(
      expiresAtMs - Math.min(FRESH_REMAINING_MS, lifetimeMs / 5),
      expiresAtMs - MIN_REMAINING_VALIDITY_MS,
    ),
    servableUntilMs: expiresAtMs - MIN_REMAINING_VALIDITY_MS,
    renewAtMonotonicMs: monotonicMs + renewAfterMs * (1 - RENEW_JITTER_FRACTION * random),
    token,
    tokenExpiresAtMs,
    accessed: false,
    idleCounted: false,
    subject,
    pod,
  };
}

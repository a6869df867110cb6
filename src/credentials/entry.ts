// A cached credential: the response body serialised once, and the times that decide serving and renewal.
import type { AssumeRoleForPodIdentityResult } from '../eks-auth/types.ts';
import { keepToken, tokenMatches } from './kept-token.ts';
import { pack, packedRestLength, unpackBody, unpackBoth, unpackRest } from './packed-entry.ts';
import { MAX_PACKED_TEXT, type PackedRef, readText, releaseText, storeText } from './slab-store.ts';

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
 * 13 fields 160 (test/credentials/entry.test.ts; README, footprint (4)). A field nothing reads costs every entry,
 * and what can be derived (`key`, `token`, `servableUntilMs`) is a getter, not a field.
 */
export interface CredentialEntry {
  /** The cache key: the verified pod identity, or (claims mode) the exact canonical token. */
  readonly key: string;
  /** The verified pod identity the entry is keyed by; undefined when it is keyed by its token. */
  readonly identity: string | undefined;
  /** The exact 200 body served on a hit. */
  readonly body: string;
  readonly expiresAtMs: number;
  /** Hits before this are served at once; after it the request renews first. */
  readonly freshUntilMs: number;
  /** After this the entry is never served (15 s before expiry). */
  readonly servableUntilMs: number;
  /**
   * When the background refresher should renew it, on the monotonic clock (an interval from the fetch, so a
   * wall-clock step does not postpone it by the step); moved on recoverable errors.
   */
  renewAtMonotonicMs: number;
  /**
   * The newest token seen for this key: what a renewal sends upstream. Kept as `tokenHeader` and `tokenRest`
   * (kept-token.ts); reading it joins them. Only an identity-keyed entry's token can change.
   */
  token: string;
  /** The token's header segment, one string shared by every token with that header; undefined: not split. */
  readonly tokenHeader: string | undefined;
  /** The token after its header and dot (all of it when `tokenHeader` is undefined). */
  readonly tokenRest: string;
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
  /** Whether `token` is this entry's token, without joining its parts. */
  hasToken(token: string): boolean;
  /** Whether `rest` is its token's rest (`tokenRest`, or packed). */
  hasRest(rest: string): boolean;
  /**
   * Whether the entry is packed (packed-entry.ts): the cache's cold tier keeps its body, and its token's rest
   * when it is keyed by its token, as one text of about half their size in a slab (slab-store.ts). `body`,
   * `token` and `hasToken` read through it; `tokenRest` is then empty (keyed by its token).
   */
  readonly packed: boolean;
  /** Packs the entry in place; false when its text cannot be packed exactly (it stays as it was). */
  pack(): boolean;
  /** Unpacks it in place (nothing when it is not packed). */
  unpack(): void;
  /**
   * Whether `token` is its token, unpacking it in place when it is (a cold hit): the packed text is decoded once
   * for both, and not at all for a token under another header or with a rest of another length.
   */
  unpackFor(token: string): boolean;
  /** Its packed bytes are no longer kept for it (it left the cache packed); it still reads them. */
  releasePacked(): void;
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
  return new Entry(
    key === token ? undefined : key,
    serialiseCredentials(result),
    expiresAtMs,
    // Never later than the servable bound: short lifetimes (under 75 s) would otherwise be served below 15 s.
    Math.min(
      expiresAtMs - Math.min(FRESH_REMAINING_MS, lifetimeMs / 5),
      expiresAtMs - MIN_REMAINING_VALIDITY_MS,
    ),
    monotonicMs + renewAfterMs * (1 - RENEW_JITTER_FRACTION * random),
    token,
    tokenExpiresAtMs,
    subject,
    pod,
  );
}

/**
 * The same entry under a verified identity (claims-migration.ts): `token` is the string the token index keys
 * by, kept whole so the two share it.
 */
export function withIdentity(
  entry: CredentialEntry,
  identity: string,
  pod: string,
  token: string,
): CredentialEntry {
  const moved = new Entry(
    identity,
    entry.body,
    entry.expiresAtMs,
    entry.freshUntilMs,
    entry.renewAtMonotonicMs,
    token,
    entry.tokenExpiresAtMs,
    entry.subject,
    pod,
  );
  moved.accessed = entry.accessed;
  moved.idleCounted = entry.idleCounted;
  return moved;
}

class Entry implements CredentialEntry {
  readonly identity: string | undefined;
  /** The body, or (packed) where the packed form of the body and (keyed by its token) the rest is kept. */
  private text: string | PackedRef;
  readonly expiresAtMs: number;
  readonly freshUntilMs: number;
  renewAtMonotonicMs: number;
  tokenHeader: string | undefined;
  tokenRest: string;
  tokenExpiresAtMs: number;
  accessed = false;
  idleCounted = false;
  readonly subject: string;
  readonly pod: string | undefined;

  constructor(
    identity: string | undefined,
    body: string,
    expiresAtMs: number,
    freshUntilMs: number,
    renewAtMonotonicMs: number,
    token: string,
    tokenExpiresAtMs: number,
    subject: string,
    pod: string | undefined,
  ) {
    this.identity = identity;
    this.text = body;
    this.expiresAtMs = expiresAtMs;
    this.freshUntilMs = freshUntilMs;
    this.renewAtMonotonicMs = renewAtMonotonicMs;
    // Token-keyed: the cache indexes the rest, so it is kept apart from the shared header. Identity-keyed: the
    // token index keys by the whole token, so it is kept whole and shared with the index.
    const kept = identity === undefined ? keepToken(token) : undefined;
    this.tokenHeader = kept?.header;
    this.tokenRest = kept === undefined ? token : kept.rest;
    this.tokenExpiresAtMs = tokenExpiresAtMs;
    this.subject = subject;
    this.pod = pod;
  }

  get key(): string {
    return this.identity ?? this.token;
  }

  get body(): string {
    const text = this.text;
    return typeof text === 'string' ? text : unpackBody(readText(text));
  }

  get packed(): boolean {
    return typeof this.text !== 'string';
  }

  /** The token after its header: `tokenRest`, or from the packed text. */
  private get rest(): string {
    const text = this.text;
    return this.identity === undefined && typeof text !== 'string'
      ? unpackRest(readText(text))
      : this.tokenRest;
  }

  get token(): string {
    const rest = this.rest;
    return this.tokenHeader === undefined ? rest : `${this.tokenHeader}.${rest}`;
  }

  set token(token: string) {
    if (this.identity === undefined) {
      // Its token is its key: a different one would be a different entry.
      if (!this.hasToken(token)) throw new Error('a token-keyed entry cannot change its token');
      return;
    }
    this.tokenHeader = undefined;
    this.tokenRest = token;
  }

  get servableUntilMs(): number {
    return this.expiresAtMs - MIN_REMAINING_VALIDITY_MS;
  }

  hasToken(token: string): boolean {
    return tokenMatches(token, this.tokenHeader, this.rest);
  }

  hasRest(rest: string): boolean {
    return this.rest === rest;
  }

  pack(): boolean {
    if (typeof this.text !== 'string') return true;
    // Keyed by its token, the rest is packed too; keyed by an identity, the whole token is the token index's key
    // as well, so packing it would free nothing.
    const packed = pack(this.identity === undefined ? this.tokenRest : undefined, this.text);
    if (packed === undefined || packed.length > MAX_PACKED_TEXT) return false;
    this.text = storeText(packed);
    if (this.identity === undefined) this.tokenRest = '';
    return true;
  }

  unpack(): void {
    const ref = this.text;
    if (typeof ref !== 'string') this.adopt(ref, unpackBoth(readText(ref)));
  }

  /** Takes back the unpacked text of `ref` (this entry's) and releases its bytes. */
  private adopt(ref: PackedRef, { rest, body }: { rest: string | undefined; body: string }) {
    if (this.identity === undefined) this.tokenRest = rest!;
    this.text = body;
    releaseText(ref);
  }

  unpackFor(token: string): boolean {
    const ref = this.text;
    if (typeof ref === 'string' || this.identity !== undefined) return this.hasToken(token);
    const header = this.tokenHeader;
    if (
      header === undefined
        ? token.includes('.')
        : !(token.charCodeAt(header.length) === 46 && token.startsWith(header))
    )
      return false;
    const text = readText(ref);
    if (packedRestLength(text) !== token.length - (header === undefined ? 0 : header.length + 1))
      return false;
    const unpacked = unpackBoth(text);
    if (!tokenMatches(token, header, unpacked.rest!)) return false;
    this.adopt(ref, unpacked);
    return true;
  }

  releasePacked(): void {
    if (typeof this.text !== 'string') releaseText(this.text);
  }
}

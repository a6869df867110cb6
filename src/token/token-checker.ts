// The token stage of a miss: what a token is worth to the credential path (its cache key, its expiry, the pod
// and the subject EKS Auth must answer for). The verification mode is chosen once, here, when the checker is
// built; a miss runs one function and never asks which mode it is in.
import type { Clock } from '../clock.ts';
import type { VerifyMode } from '../config/server-config.ts';
import { parseTokenClaims } from './token-claims.ts';
import type { TokenVerifier, VerifiedIdentity } from './types.ts';

/** A token that passed the checks of the configured mode. */
export interface CheckedToken {
  /** Cache key: the verified pod identity, or the exact (canonical) token while its signature is unchecked. */
  readonly key: string;
  /** Token expiry (epoch ms); infinite when nothing was read from the token. */
  readonly expiresAtMs: number;
  /** Pod name, from a verified token only. */
  readonly pod: string | undefined;
  /** `namespace/serviceAccount` EKS Auth must answer for, when the token names them. */
  readonly subject: string | undefined;
}

export interface TokenChecker {
  /** Checks a canonical token; rejections are AgentErrors. */
  check(token: string): Promise<CheckedToken>;
}

export interface TokenCheckerOptions {
  /** --verify-tokens. A verifier, when given, checks signatures whenever it can (claims mode until then). */
  mode: VerifyMode;
  verifier?: TokenVerifier | undefined;
  clock: Clock;
  /**
   * Runs once at the first verified miss after misses were served unverified (the signing keys have just
   * loaded); verified misses wait for it. The credential path re-keys what it cached meanwhile.
   */
  onFirstVerified?: () => Promise<void>;
}

/** Cache key of a verified pod: its UID makes it unique; namespace and service account make it readable. */
export function identityKey(id: VerifiedIdentity): string {
  return `${id.namespace}/${id.serviceAccount}/${id.podUid}`;
}

export function createTokenChecker(options: TokenCheckerOptions): TokenChecker {
  const { verifier, clock } = options;
  const unverified = options.mode === 'off' ? uncheckedToken : checkClaims(clock);
  if (verifier === undefined) return { check: async (token) => unverified(token) };
  return checkSignatures(verifier, unverified, options.onFirstVerified);
}

/** --verify-tokens off: the token is only a cache key. */
function uncheckedToken(token: string): CheckedToken {
  return { key: token, expiresAtMs: Number.POSITIVE_INFINITY, pod: undefined, subject: undefined };
}

/** Claims mode: shape and time claims on the main thread; keyed by the exact token, never by its claims. */
function checkClaims(clock: Clock): (token: string) => CheckedToken {
  return (token) => {
    const claims = parseTokenClaims(token, Math.floor(clock.now() / 1000));
    const subject =
      claims.namespace && claims.serviceAccount ? `${claims.namespace}/${claims.serviceAccount}` : undefined;
    return { key: token, expiresAtMs: claims.exp * 1000, pod: undefined, subject };
  };
}

/**
 * Signature mode: the verifier checks claims, then the signature (keyed by the verified pod identity). Until
 * a key set has loaded, tokens are served in claims mode and each such miss asks the key source to try again
 * soon (rate-limited, in the background).
 */
function checkSignatures(
  verifier: TokenVerifier,
  unverified: (token: string) => CheckedToken,
  onFirstVerified: (() => Promise<void>) | undefined,
): TokenChecker {
  let servedUnverified = false;
  let firstVerified: Promise<void> | undefined;
  return {
    async check(token) {
      if (!(verifier.canVerify?.() ?? true)) {
        const checked = unverified(token);
        verifier.requestKeys?.();
        servedUnverified = true;
        return checked;
      }
      const identity = await verifier.verify(token);
      // After this token's own checks, so a bad token is refused without waiting for the hook.
      if (servedUnverified) {
        servedUnverified = false;
        firstVerified = onFirstVerified?.();
      }
      if (firstVerified !== undefined) await firstVerified;
      return {
        key: identityKey(identity),
        expiresAtMs: identity.exp * 1000,
        pod: identity.podName,
        subject: `${identity.namespace}/${identity.serviceAccount}`,
      };
    },
  };
}

// Full token verification: cheap claim checks and identity rules on the main thread, then the signature
// against the configured issuer's keys, on a bounded worker pool (or inline when workers = 0).
//
// Issuer check: when `issuer` is undefined (keys given with --jwks-url/--jwks-file and no --token-issuer),
// `iss` is not compared. The key set itself is then the trust anchor: only tokens signed by one of those
// configured keys pass, whatever they claim as issuer. Configure --token-issuer to check both.
import { type Clock, systemClock } from '../clock.ts';
import { AgentError, type ErrorCode, TOKEN_CHECK_RESULTS, toAgentError } from '../errors.ts';
import type { TokenMetrics } from '../observability/metrics.ts';
import { identityFromClaims, POD_IDENTITY_AUDIENCE } from './identity-claims.ts';
import type { KeySource } from './jwks.ts';
import type { KeySet, StoredKey } from './key-set.ts';
import { createSignaturePool } from './signature-pool.ts';
import { decodeToken, readTokenClaims } from './token-claims.ts';
import type { TokenVerifier, VerifiedIdentity } from './types.ts';
import { ACCEPTED_ALGORITHMS, keyFitsAlgorithm } from './verify-signature.ts';

export interface TokenVerifierOptions {
  keySource: KeySource;
  /** Expected `iss`. Undefined skips the issuer check (see the header comment). */
  issuer: string | undefined;
  audience?: string;
  /** Worker threads for signature checks; 0 verifies inline on the main thread. */
  workers: number;
  /** Verifications allowed to wait for a worker; beyond it: Overloaded (503) at once. */
  maxQueue?: number;
  clock?: Clock;
  metrics?: Pick<TokenMetrics, 'tokenVerifications' | 'verifyQueueDepth'>;
}

export const TOKEN_VERIFIER_DEFAULTS = {
  audience: POD_IDENTITY_AUDIENCE,
  // A node's pod-start storm arrives before the first check (workers start with it) is done: at 256, 43 of
  // 300 new pods got 503 Overloaded, which PHP never retries. A waiting check holds only its request's
  // token, which the open request holds anyway; the fair gate queues as many EKS Auth calls.
  maxQueue: 1024,
} as const;

/** Without a kid, at most this many keys are tried: bounds the work a kid-less token can cause. */
const MAX_KEYS_WITHOUT_KID = 4;

const RESULT_LABELS: readonly (ErrorCode | 'valid')[] = ['valid', ...TOKEN_CHECK_RESULTS];

function rejected(message: string): AgentError {
  return new AgentError('TokenRejected', message);
}

function checkAlgorithm(alg: string): void {
  if (ACCEPTED_ALGORITHMS[alg]) return;
  if (alg.toLowerCase() === 'none') throw rejected('unsigned tokens (alg none) are not accepted');
  if (alg.startsWith('HS')) throw rejected('symmetric (HMAC) token algorithms are not accepted');
  throw rejected('token signing algorithm is not supported');
}

function keysForKid(set: KeySet, kid: string | undefined): readonly StoredKey[] {
  return kid === undefined ? set.keys : set.keys.filter((k) => k.kid === kid);
}

function currentKeys(keySource: KeySource): KeySet {
  const set = keySource.current();
  // The credential service serves in claims mode until keys load; this is the guard if it is bypassed.
  if (!set) throw new AgentError('KeysUnavailable', 'token signing keys are not available yet; retry');
  return set;
}

/** The keys to try for a token's kid and alg; an unknown kid asks the key source for a refresh first. */
async function candidateKeys(
  keySource: KeySource,
  kid: string | undefined,
  alg: string,
): Promise<StoredKey[]> {
  let named = keysForKid(currentKeys(keySource), kid);
  if (named.length === 0 && kid !== undefined) {
    // Possibly a key rotated in since the last refresh (rate-limited inside the key source).
    const outcome = await keySource.refreshForUnknownKey();
    named = keysForKid(currentKeys(keySource), kid);
    if (named.length === 0) {
      // Only a load that just succeeded proves the kid unknown. While the source fails or is rate-limited,
      // the token may carry a key rotated in since: a retryable 503, never a 403 that SDKs do not retry.
      if (outcome === 'failed' || outcome === 'rate-limited') {
        throw new AgentError(
          'KeysUnavailable',
          outcome === 'failed'
            ? 'token signing key (kid) is not known and the key source is failing; retry'
            : 'token signing key (kid) is not known yet and keys were refreshed moments ago; retry',
        );
      }
      throw rejected('token signing key (kid) is not known to the trusted issuer');
    }
  }
  // With a kid, every key under it is tried (an issuer may publish a few per kid while rotating; at most
  // MAX_JWKS_KEYS in all); without one, only the first few fitting keys.
  const fitting = named.filter((k) => keyFitsAlgorithm(k.jwk, alg));
  if (kid === undefined) fitting.length = Math.min(fitting.length, MAX_KEYS_WITHOUT_KID);
  if (fitting.length === 0) throw rejected('token algorithm does not match the signing key');
  return fitting;
}

export function createTokenVerifier(options: TokenVerifierOptions): TokenVerifier {
  const { keySource, issuer, metrics } = options;
  const rules = { issuer, audience: options.audience ?? TOKEN_VERIFIER_DEFAULTS.audience };
  const clock = options.clock ?? systemClock;
  const pool = createSignaturePool({
    workers: options.workers,
    maxQueue: options.maxQueue ?? TOKEN_VERIFIER_DEFAULTS.maxQueue,
    metrics,
  });
  // Pre-bound children: no label lookup per verification.
  const counters = new Map(
    RESULT_LABELS.map((label) => [label, metrics?.tokenVerifications.labels(label)] as const),
  );

  async function check(token: string): Promise<VerifiedIdentity> {
    const decoded = decodeToken(token);
    const claims = readTokenClaims(decoded.payload, Math.floor(clock.now() / 1000));
    checkAlgorithm(decoded.alg);
    if (decoded.signature.length === 0) throw rejected('token has no signature');
    const identity = identityFromClaims(claims, rules);
    for (const key of await candidateKeys(keySource, decoded.kid, decoded.alg)) {
      const result = await pool.run({
        alg: decoded.alg,
        keyId: key.keyId,
        jwk: key.jwk,
        signingInput: decoded.signingInput,
        signature: decoded.signature,
      });
      if (result === 'valid') return identity;
    }
    throw rejected('token signature is invalid');
  }

  return {
    mode: pool.mode,
    canVerify: () => keySource.current() !== undefined,
    requestKeys() {
      void keySource.refreshForUnknownKey();
    },
    warm: () => pool.warm(),
    async verify(token) {
      try {
        const identity = await check(token);
        counters.get('valid')?.inc();
        return identity;
      } catch (err) {
        const e = toAgentError(err);
        counters.get(e.code)?.inc();
        throw e;
      }
    },
    close: () => pool.close(),
  };
}

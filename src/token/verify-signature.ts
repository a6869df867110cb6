// The one JWS signature check, shared by the worker pool and the inline (workers = 0) path.
//
// Deliberately pure and dependent on node:crypto only: it is loaded inside the signature pool's workers (and inside a
// `bun build --compile` executable as an extra entrypoint), where every import costs start-up time.
// node:crypto's verify was measured at ~15 µs per RS256 check against ~35–45 µs for jose's jwtVerify on
// the same machine (see bench/verify.bench.ts), so jose is used only for key handling in tests.
import type { KeyObject } from 'node:crypto';

/**
 * node:crypto, loaded at the first check rather than at start: an agent in claims mode never verifies, and
 * the module (with node:worker_threads, which the pool loaded then) cost it ~0.7 MB of resident memory idle and with
 * 250 pods (bench/footprint.bench.ts). Through process.getBuiltinModule, which the bundler leaves alone, so the
 * start-up bundle names no node:crypto (test/build/startup-builtins.test.ts); the runtime keeps it once loaded.
 * Not through src/shared/builtins.ts: this module is loaded by the workers too and imports nothing of ours.
 */
const nodeCrypto = () => process.getBuiltinModule('node:crypto');

/** The public members of a signing JWK (RFC 7517/7518); private members are stripped when loaded. */
export interface PublicJwk {
  readonly kty: string;
  readonly kid?: string;
  readonly alg?: string;
  readonly use?: string;
  readonly crv?: string;
  readonly n?: string;
  readonly e?: string;
  readonly x?: string;
  readonly y?: string;
}

/** What a worker needs for one check. Keys travel as JWK; imported KeyObjects are cached per keyId. */
export interface SignatureTask {
  /** The token's alg, already checked against ACCEPTED_ALGORITHMS on the main thread. */
  readonly alg: string;
  /** Unique per key material (key source + key-set version + index), so a rotated key under an old kid is re-imported. */
  readonly keyId: string;
  readonly jwk: PublicJwk;
  readonly signingInput: string;
  /** base64url. */
  readonly signature: string;
}

export type SignatureResult = 'valid' | 'invalid-signature' | 'unusable-key';

interface AlgorithmSpec {
  readonly hash: string | null;
  readonly kty: 'RSA' | 'EC' | 'OKP';
  readonly crv?: string;
  readonly pss?: number;
  readonly p1363?: true;
}

/** Asymmetric algorithms only: `none` and HMAC (HS*) are never accepted, whatever the key set holds. */
export const ACCEPTED_ALGORITHMS: Readonly<Record<string, AlgorithmSpec>> = {
  RS256: { hash: 'sha256', kty: 'RSA' },
  RS384: { hash: 'sha384', kty: 'RSA' },
  RS512: { hash: 'sha512', kty: 'RSA' },
  // RFC 7518 3.5: the PSS salt is as long as the hash output.
  PS256: { hash: 'sha256', kty: 'RSA', pss: 32 },
  PS384: { hash: 'sha384', kty: 'RSA', pss: 48 },
  PS512: { hash: 'sha512', kty: 'RSA', pss: 64 },
  // JWS carries ECDSA signatures as raw r||s (IEEE P1363), not DER.
  ES256: { hash: 'sha256', kty: 'EC', crv: 'P-256', p1363: true },
  ES384: { hash: 'sha384', kty: 'EC', crv: 'P-384', p1363: true },
  ES512: { hash: 'sha512', kty: 'EC', crv: 'P-521', p1363: true },
  EdDSA: { hash: null, kty: 'OKP', crv: 'Ed25519' },
  Ed25519: { hash: null, kty: 'OKP', crv: 'Ed25519' },
};

/** Whether a JWK can verify `alg`: matching key type and curve, and its own `alg`/`use` allow it. */
export function keyFitsAlgorithm(jwk: PublicJwk, alg: string): boolean {
  const spec = ACCEPTED_ALGORITHMS[alg];
  if (!spec || jwk.kty !== spec.kty) return false;
  if (spec.crv !== undefined && jwk.crv !== spec.crv) return false;
  if (typeof jwk.alg === 'string' && jwk.alg !== alg) return false;
  if (jwk.use !== undefined && jwk.use !== 'sig') return false;
  return true;
}

/** Below this RSA keys are refused (RFC 7518 3.3 requires 2048 bits). */
const MIN_RSA_BITS = 2048;
const MAX_CACHED_KEYS = 256;
const keyCache = new Map<string, KeyObject | null>();

function importKey(keyId: string, jwk: PublicJwk): KeyObject | null {
  let key = keyCache.get(keyId);
  if (key !== undefined) return key;
  try {
    key = nodeCrypto().createPublicKey({ key: { ...jwk }, format: 'jwk' });
    const bits = key.asymmetricKeyDetails?.modulusLength;
    if (key.asymmetricKeyType === 'rsa' && (bits === undefined || bits < MIN_RSA_BITS)) key = null;
  } catch {
    key = null;
  }
  // Bounded: key sets are small, so overflowing means rotation churn; starting over is cheap.
  if (keyCache.size >= MAX_CACHED_KEYS) keyCache.clear();
  keyCache.set(keyId, key);
  return key;
}

/** Verifies one JWS signature. Never throws: bad keys and bad signatures are results. */
export function verifySignature(task: SignatureTask): SignatureResult {
  const spec = ACCEPTED_ALGORITHMS[task.alg];
  if (!spec || !keyFitsAlgorithm(task.jwk, task.alg)) return 'unusable-key';
  const key = importKey(task.keyId, task.jwk);
  if (key === null) return 'unusable-key';
  const data = Buffer.from(task.signingInput, 'utf8');
  const signature = Buffer.from(task.signature, 'base64url');
  const { constants, verify } = nodeCrypto();
  try {
    const ok = spec.pss
      ? verify(
          spec.hash,
          data,
          { key, padding: constants.RSA_PKCS1_PSS_PADDING, saltLength: spec.pss },
          signature,
        )
      : spec.p1363
        ? verify(spec.hash, data, { key, dsaEncoding: 'ieee-p1363' }, signature)
        : verify(spec.hash, data, key, signature);
    return ok ? 'valid' : 'invalid-signature';
  } catch {
    // e.g. an ECDSA signature of the wrong length: simply not a valid signature.
    return 'invalid-signature';
  }
}

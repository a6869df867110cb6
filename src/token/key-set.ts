// The signing keys held in memory: each distinct set gets a new version and per-key ids (workers cache
// imported keys under them), and the last good set can be written to and read from a file (the pod's
// emptyDir) so a restart during an API-server outage still verifies.
import { readFileSync, renameSync, writeFileSync } from 'node:fs';
import type { Logger } from '../observability/logger.ts';
import { MAX_JWKS_BYTES, MAX_JWKS_KEYS, parseJwks, type SigningKeys } from './jwks-loader.ts';
import type { PublicJwk } from './verify-signature.ts';

export interface StoredKey {
  readonly kid: string | undefined;
  /** Unique per key material across refreshes; workers cache imported keys under it. */
  readonly keyId: string;
  readonly jwk: PublicJwk;
}

export interface KeySet {
  /** Bumped only when the keys actually change. */
  readonly version: number;
  readonly keys: readonly StoredKey[];
}

export interface HeldKeys {
  current(): KeySet | undefined;
  /** Holds `jwks` as the current set; false when it equals the set already held. */
  install(jwks: SigningKeys): boolean;
  /** Writes the current set to the persist file, if one is configured (failures are logged, not thrown). */
  persist(): void;
}

/** A local JWKS file read at once (a persisted set, or a --jwks-file's first read); undefined if unusable. */
export function readKeysNow(path: string, what: string): SigningKeys | undefined {
  try {
    const bytes = readFileSync(path);
    if (bytes.byteLength > MAX_JWKS_BYTES) return undefined;
    return parseJwks(JSON.parse(bytes.toString('utf8')), what);
  } catch {
    return undefined;
  }
}

export function createHeldKeys(kind: string, persistFile: string | undefined, logger: Logger): HeldKeys {
  const sourceId = crypto.randomUUID();
  let keySet: KeySet | undefined;
  let fingerprint = '';
  return {
    current: () => keySet,
    install(jwks) {
      const next = JSON.stringify(jwks);
      if (keySet && next === fingerprint) return false;
      if (jwks.ignored !== undefined) {
        logger.warn(
          { source: kind, keys: jwks.length, ignored: jwks.ignored, maxKeys: MAX_JWKS_KEYS },
          `the key set has more than ${MAX_JWKS_KEYS} signing keys; the ones past the ${MAX_JWKS_KEYS}th are ignored`,
        );
      }
      const version = (keySet?.version ?? 0) + 1;
      fingerprint = next;
      keySet = {
        version,
        keys: jwks.map((jwk, i) => ({
          kid: jwk.kid,
          // Imported keys are cached by keyId in a module-level map (the inline path) shared by every key
          // source in the process: the source's own id keeps two issuers' "version 1, key 0" apart.
          keyId: `${sourceId}.${version}.${i}`,
          jwk,
        })),
      };
      return true;
    },
    persist() {
      if (!persistFile) return;
      try {
        const tmp = `${persistFile}.tmp`;
        writeFileSync(tmp, `{"keys":${fingerprint}}`, { mode: 0o600 });
        renameSync(tmp, persistFile);
      } catch (err) {
        const reason = err instanceof Error && 'code' in err ? String(err.code) : 'write failed';
        logger.warn({ reason }, 'token signing keys could not be persisted');
      }
    },
  };
}

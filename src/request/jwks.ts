// The issuer's signing keys, kept in memory: loaded at start, refreshed periodically and (rate-limited)
// when a token names an unknown kid. The last good set survives failed refreshes.
//
// Trust comes only from configuration: keys are read from the configured issuer's discovery document, a
// configured JWKS URL or a file. A token's own `iss` never decides where keys are fetched from.
import { randomUUID } from 'node:crypto';
import { type Clock, systemClock } from '../clock.ts';
import type { Logger } from '../observability/logger.ts';
import { discoverJwksUri, loadJwksFile, loadJwksUrl } from './jwks-loader.ts';
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

export interface KeySource {
  /** First load. Never rejects: a failure is logged and retried, and verification answers KeysUnavailable. */
  start(): Promise<void>;
  /** The last good key set, or undefined if none was ever loaded. */
  current(): KeySet | undefined;
  /** Loads now (sharing a load already in flight). Resolves true when the key set changed. */
  refresh(): Promise<boolean>;
  /** Like refresh, but at most once per minRefreshIntervalMs: unknown kids must not turn into a fetch flood. */
  refreshForUnknownKey(): Promise<boolean>;
  close(): void;
}

export interface KeySourceOptions {
  /** OIDC issuer URL; keys come from its discovery document's jwks_uri. */
  tokenIssuer?: string | undefined;
  /** JWKS URL; takes precedence over discovery. */
  jwksUrl?: string | undefined;
  /** JWKS file, re-read on every refresh (mounted key sets rotate); takes precedence over URLs. */
  jwksFile?: string | undefined;
  refreshIntervalMs?: number;
  minRefreshIntervalMs?: number;
  fetchTimeoutMs?: number;
  clock?: Clock;
  logger: Logger;
}

export const KEY_SOURCE_DEFAULTS = {
  refreshIntervalMs: 60 * 60 * 1000,
  minRefreshIntervalMs: 30 * 1000,
  fetchTimeoutMs: 5000,
} as const;

export function createKeySource(options: KeySourceOptions): KeySource {
  const { tokenIssuer, jwksUrl, jwksFile, logger } = options;
  if (!tokenIssuer && !jwksUrl && !jwksFile) {
    throw new TypeError('createKeySource needs one of tokenIssuer, jwksUrl or jwksFile');
  }
  const refreshIntervalMs = options.refreshIntervalMs ?? KEY_SOURCE_DEFAULTS.refreshIntervalMs;
  const minRefreshIntervalMs = options.minRefreshIntervalMs ?? KEY_SOURCE_DEFAULTS.minRefreshIntervalMs;
  const fetchTimeoutMs = options.fetchTimeoutMs ?? KEY_SOURCE_DEFAULTS.fetchTimeoutMs;
  const clock = options.clock ?? systemClock;
  const source = jwksFile ? 'file' : jwksUrl ? 'url' : 'discovery';

  let keySet: KeySet | undefined;
  let fingerprint = '';
  let discoveredUri: string | undefined;
  let inFlight: Promise<boolean> | undefined;
  let lastAttemptMs = Number.NEGATIVE_INFINITY;
  let timer: ReturnType<typeof setTimeout> | undefined;
  let closed = false;

  async function fetchKeys(): Promise<PublicJwk[]> {
    if (jwksFile) return loadJwksFile(jwksFile);
    if (jwksUrl) return loadJwksUrl(jwksUrl, fetchTimeoutMs);
    discoveredUri ??= await discoverJwksUri(tokenIssuer!, fetchTimeoutMs);
    try {
      return await loadJwksUrl(discoveredUri, fetchTimeoutMs);
    } catch (err) {
      // The issuer may have moved its keys: discover again next time.
      discoveredUri = undefined;
      throw err;
    }
  }

  const sourceId = randomUUID();

  async function load(): Promise<boolean> {
    lastAttemptMs = clock.now();
    try {
      const jwks = await fetchKeys();
      const next = JSON.stringify(jwks);
      if (keySet && next === fingerprint) return false;
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
      logger.info({ source, keys: jwks.length, version }, 'token signing keys loaded');
      return true;
    } catch (err) {
      // Only our own messages are logged: they name the source, never key or token material.
      const reason = err instanceof Error ? err.message : 'unknown error';
      logger.warn({ source, reason, keptVersion: keySet?.version }, 'token signing keys refresh failed');
      return false;
    }
  }

  function refresh(): Promise<boolean> {
    inFlight ??= load().finally(() => {
      inFlight = undefined;
    });
    return inFlight;
  }

  function schedule(): void {
    if (closed) return;
    // Until a first set is loaded, retry at the unknown-kid pace rather than waiting an hour.
    const delayMs = keySet ? refreshIntervalMs : minRefreshIntervalMs;
    timer = setTimeout(() => {
      void refresh().finally(schedule);
    }, delayMs);
    timer.unref?.();
  }

  return {
    async start() {
      await refresh();
      if (!timer) schedule();
    },
    current: () => keySet,
    refresh,
    refreshForUnknownKey() {
      if (inFlight) return inFlight;
      if (clock.now() - lastAttemptMs < minRefreshIntervalMs) return Promise.resolve(false);
      return refresh();
    },
    close() {
      closed = true;
      if (timer) clearTimeout(timer);
    },
  };
}

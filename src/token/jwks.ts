// The issuer's signing keys, kept in memory: loaded in the background from start, refreshed periodically and
// (rate-limited) when a token names an unknown kid. The last good set survives failed refreshes, and can be
// persisted to a file (the pod's emptyDir) so a restart during an API-server outage still verifies.
//
// Trust comes only from configuration: keys are read from the API server's /openid/v1/jwks (in a cluster),
// the configured issuer's discovery document, a configured JWKS URL or a file. A token's own `iss` never
// decides where keys are fetched from.
import { randomUUID } from 'node:crypto';
import { readFileSync, renameSync, writeFileSync } from 'node:fs';
import { type Clock, systemClock, type Timers } from '../clock.ts';
import type { KubeApiClient } from '../kube/api-client.ts';
import type { Logger } from '../observability/logger.ts';
import {
  discoverJwksUri,
  loadJwksFile,
  loadJwksUrl,
  MAX_JWKS_BYTES,
  MAX_JWKS_KEYS,
  parseJwks,
  type SigningKeys,
} from './jwks-loader.ts';
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

export type KeySourceKind = 'kube-api' | 'file' | 'url' | 'discovery';

/** What an unknown-kid refresh did: only a fresh successful load can prove a kid unknown. */
export type RefreshOutcome = 'changed' | 'unchanged' | 'failed' | 'rate-limited';

export interface KeySourceStatus {
  readonly kind: KeySourceKind;
  /** Where keys come from, without secrets (a URL or a path). */
  readonly location: string;
  /** A key set is held (loaded now or earlier, or read from the persisted file). */
  readonly loaded: boolean;
  readonly version: number | undefined;
  readonly keys: number;
  /** When the key source was created (the readiness grace period runs from here). */
  readonly createdAtMs: number;
  readonly lastSuccessAtMs: number | undefined;
  /** The last load's error (our own message: names the source, never key or token material). */
  readonly lastError: string | undefined;
  /** The set held came from the persisted file and no load has succeeded since. */
  readonly fromPersisted: boolean;
}

export interface KeySource {
  /** Starts loading in the background; resolves after the first attempt. Never rejects. */
  start(): Promise<void>;
  /** The last good key set, or undefined if none was ever loaded. */
  current(): KeySet | undefined;
  /** Loads now (sharing a load already in flight). Resolves true when the key set changed. */
  refresh(): Promise<boolean>;
  /** Like refresh, but at most once per minRefreshIntervalMs: unknown kids must not turn into a fetch flood. */
  refreshForUnknownKey(): Promise<RefreshOutcome>;
  status(): KeySourceStatus;
  close(): void;
}

export interface KeySourceOptions {
  /** The API server's /openid/v1/jwks through this client (in-cluster default). */
  kubeApi?: KubeApiClient | undefined;
  /** OIDC issuer URL; keys come from its discovery document's jwks_uri. */
  tokenIssuer?: string | undefined;
  /** JWKS URL; takes precedence over discovery. */
  jwksUrl?: string | undefined;
  /** JWKS file, re-read on every refresh (mounted key sets rotate); takes precedence over URLs. */
  jwksFile?: string | undefined;
  /** Last good set written here on every change and read at creation (an emptyDir path). */
  persistFile?: string | undefined;
  refreshIntervalMs?: number;
  minRefreshIntervalMs?: number;
  /** Until a first set loads, retries start this far apart and double up to minRefreshIntervalMs. */
  initialRetryMs?: number;
  fetchTimeoutMs?: number;
  clock?: Clock;
  timers?: Timers;
  logger: Logger;
}

export const KEY_SOURCE_DEFAULTS = {
  refreshIntervalMs: 60 * 60 * 1000,
  minRefreshIntervalMs: 30 * 1000,
  initialRetryMs: 1000,
  fetchTimeoutMs: 5000,
} as const;

export const KUBE_JWKS_PATH = '/openid/v1/jwks';

/** Timers that never keep the process alive. */
const unrefTimers: Timers = {
  setTimeout(callback, ms) {
    const t = setTimeout(callback, ms);
    t.unref?.();
    return t;
  },
  clearTimeout: (handle) => clearTimeout(handle as ReturnType<typeof setTimeout>),
};

/** A local JWKS file read at once (a persisted set, or a --jwks-file's first read); undefined if unusable. */
function readKeysNow(path: string, what: string): SigningKeys | undefined {
  try {
    const bytes = readFileSync(path);
    if (bytes.byteLength > MAX_JWKS_BYTES) return undefined;
    return parseJwks(JSON.parse(bytes.toString('utf8')), what);
  } catch {
    return undefined;
  }
}

export function createKeySource(options: KeySourceOptions): KeySource {
  const { kubeApi, tokenIssuer, jwksUrl, jwksFile, persistFile, logger } = options;
  if (!kubeApi && !tokenIssuer && !jwksUrl && !jwksFile) {
    throw new TypeError('createKeySource needs one of kubeApi, tokenIssuer, jwksUrl or jwksFile');
  }
  const refreshIntervalMs = options.refreshIntervalMs ?? KEY_SOURCE_DEFAULTS.refreshIntervalMs;
  const minRefreshIntervalMs = options.minRefreshIntervalMs ?? KEY_SOURCE_DEFAULTS.minRefreshIntervalMs;
  const initialRetryMs = options.initialRetryMs ?? KEY_SOURCE_DEFAULTS.initialRetryMs;
  const fetchTimeoutMs = options.fetchTimeoutMs ?? KEY_SOURCE_DEFAULTS.fetchTimeoutMs;
  const clock = options.clock ?? systemClock;
  const timers = options.timers ?? unrefTimers;
  const kind: KeySourceKind = jwksFile ? 'file' : jwksUrl ? 'url' : tokenIssuer ? 'discovery' : 'kube-api';
  const location =
    kind === 'file'
      ? jwksFile!
      : kind === 'url'
        ? jwksUrl!
        : kind === 'discovery'
          ? tokenIssuer!
          : kubeApi!.baseUrl + KUBE_JWKS_PATH;
  const createdAtMs = clock.now();

  let keySet: KeySet | undefined;
  let fingerprint = '';
  let discoveredUri: string | undefined;
  let inFlight: Promise<boolean> | undefined;
  let lastAttemptMs = Number.NEGATIVE_INFINITY;
  let lastSuccessAtMs: number | undefined;
  let lastError: string | undefined;
  let fromPersisted = false;
  let failuresBeforeFirstLoad = 0;
  let timer: unknown;
  let closed = false;

  async function fetchKeys(): Promise<SigningKeys> {
    if (jwksFile) return loadJwksFile(jwksFile);
    if (jwksUrl) return loadJwksUrl(jwksUrl, fetchTimeoutMs);
    if (!tokenIssuer) {
      return parseJwks(
        await kubeApi!.requestJson(KUBE_JWKS_PATH, { timeoutMs: fetchTimeoutMs }),
        'API server JWKS',
      );
    }
    discoveredUri ??= await discoverJwksUri(tokenIssuer, fetchTimeoutMs);
    try {
      return await loadJwksUrl(discoveredUri, fetchTimeoutMs);
    } catch (err) {
      // The issuer may have moved its keys: discover again next time.
      discoveredUri = undefined;
      throw err;
    }
  }

  const sourceId = randomUUID();

  function install(jwks: SigningKeys): boolean {
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
  }

  function persist(): void {
    if (!persistFile) return;
    try {
      const tmp = `${persistFile}.tmp`;
      writeFileSync(tmp, `{"keys":${fingerprint}}`, { mode: 0o600 });
      renameSync(tmp, persistFile);
    } catch (err) {
      const reason = err instanceof Error && 'code' in err ? String(err.code) : 'write failed';
      logger.warn({ reason }, 'token signing keys could not be persisted');
    }
  }

  // A local file is read before the listeners open: no request is served in claims mode for want of a disk
  // read. (Remote sources load in the background; start() reports the file's errors if this read failed.)
  const fileKeys = jwksFile ? readKeysNow(jwksFile, 'JWKS file') : undefined;
  if (fileKeys) {
    install(fileKeys);
    lastSuccessAtMs = clock.now();
    logger.info({ source: kind, keys: fileKeys.length, version: 1 }, 'token signing keys loaded');
  }
  if (persistFile && !fileKeys) {
    const persisted = readKeysNow(persistFile, 'persisted JWKS file');
    if (persisted) {
      install(persisted);
      fromPersisted = true;
      logger.info(
        { source: kind, keys: persisted.length },
        'token signing keys read from the persisted file; tokens are verified while the source loads',
      );
    }
  }

  async function load(): Promise<boolean> {
    lastAttemptMs = clock.now();
    try {
      const jwks = await fetchKeys();
      const first = lastSuccessAtMs === undefined && keySet === undefined;
      lastSuccessAtMs = clock.now();
      lastError = undefined;
      fromPersisted = false;
      failuresBeforeFirstLoad = 0;
      if (!install(jwks)) return false;
      persist();
      logger.info(
        { source: kind, keys: jwks.length, version: keySet!.version },
        first ? 'token signing keys loaded; tokens are verified from now on' : 'token signing keys loaded',
      );
      return true;
    } catch (err) {
      // Only our own messages are logged: they name the source, never key or token material.
      lastError = err instanceof Error ? err.message : 'unknown error';
      if (keySet === undefined) failuresBeforeFirstLoad++;
      logger.warn(
        { source: kind, reason: lastError, keptVersion: keySet?.version },
        keySet === undefined
          ? 'token signing keys could not be loaded; serving in claims mode until they load'
          : 'token signing keys refresh failed; keeping the last good set',
      );
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
    // Until a first set is loaded, retry soon (doubling up to the unknown-kid pace), not after an hour.
    const delayMs =
      lastSuccessAtMs !== undefined
        ? refreshIntervalMs
        : Math.min(minRefreshIntervalMs, initialRetryMs * 2 ** Math.max(0, failuresBeforeFirstLoad - 1));
    timer = timers.setTimeout(() => {
      timer = undefined;
      void refresh().finally(schedule);
    }, delayMs);
  }

  let started: Promise<void> | undefined;
  return {
    start() {
      started ??= refresh().then(() => schedule());
      return started;
    },
    current: () => keySet,
    refresh,
    async refreshForUnknownKey() {
      if (inFlight === undefined && clock.now() - lastAttemptMs < minRefreshIntervalMs) return 'rate-limited';
      // Joining a load already under way tells as much as starting one.
      const version = keySet?.version;
      await refresh();
      if (lastError !== undefined) return 'failed';
      return keySet?.version !== version ? 'changed' : 'unchanged';
    },
    status: () => ({
      kind,
      location,
      loaded: keySet !== undefined,
      version: keySet?.version,
      keys: keySet?.keys.length ?? 0,
      createdAtMs,
      lastSuccessAtMs,
      lastError,
      fromPersisted,
    }),
    close() {
      closed = true;
      if (timer !== undefined) timers.clearTimeout(timer);
    },
  };
}

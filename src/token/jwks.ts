// The issuer's signing keys, kept in memory: loaded in the background from start, refreshed periodically and
// (rate-limited) when a token names an unknown kid. The last good set survives failed refreshes, and can be
// persisted to a file (the pod's emptyDir) so a restart during an API-server outage still verifies.
//
// Trust comes only from configuration: keys are read from the API server's /openid/v1/jwks (in a cluster),
// the configured issuer's discovery document, a configured JWKS URL or a file. A token's own `iss` never
// decides where keys are fetched from. Where keys come from is key-location.ts, the set held is key-set.ts,
// one load and the state it shares with refresh, schedule and status (last attempt, last error, retry back-off)
// is key-load.ts. Just over 200 lines: most of it is the documented options and status contract.
import { type Clock, systemClock, type Timers } from '../clock.ts';
import type { KubeApiClient } from '../kube/api-client.ts';
import type { Logger } from '../observability/logger.ts';
import { type LoadDeps, type LoadState, loadKeys } from './key-load.ts';
import { type KeyLocation, type KeySourceKind, keyLocation } from './key-location.ts';
import { createHeldKeys, type HeldKeys, type KeySet, readKeysNow } from './key-set.ts';

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

/** Timers that never keep the process alive. */
const unrefTimers: Timers = {
  setTimeout(callback, ms) {
    const t = setTimeout(callback, ms);
    t.unref?.();
    return t;
  },
  clearTimeout: (handle) => clearTimeout(handle as ReturnType<typeof setTimeout>),
};

/**
 * A local file is read before the listeners open: no request is served in claims mode for want of a disk
 * read (remote sources load in the background; start() reports the file's errors if this read failed).
 * Without one, a persisted set verifies tokens while the source loads.
 */
function installStartKeys(
  options: KeySourceOptions,
  held: ReturnType<typeof createHeldKeys>,
  kind: KeySourceKind,
): 'file' | 'persisted' | undefined {
  const { persistFile, logger } = options;
  const fileKeys = options.jwksFile ? readKeysNow(options.jwksFile, 'JWKS file') : undefined;
  if (fileKeys) {
    held.install(fileKeys);
    logger.info({ source: kind, keys: fileKeys.length, version: 1 }, 'token signing keys loaded');
    return 'file';
  }
  const persisted = persistFile ? readKeysNow(persistFile, 'persisted JWKS file') : undefined;
  if (!persisted) return undefined;
  held.install(persisted);
  logger.info(
    { source: kind, keys: persisted.length },
    'token signing keys read from the persisted file; tokens are verified while the source loads',
  );
  return 'persisted';
}

function describeStatus(
  state: LoadState,
  source: KeyLocation,
  held: HeldKeys,
  createdAtMs: number,
): KeySourceStatus {
  const keySet = held.current();
  return {
    kind: source.kind,
    location: source.location,
    loaded: keySet !== undefined,
    version: keySet?.version,
    keys: keySet?.keys.length ?? 0,
    createdAtMs,
    lastSuccessAtMs: state.lastSuccessAtMs,
    lastError: state.lastError,
    fromPersisted: state.fromPersisted,
  };
}

export function createKeySource(options: KeySourceOptions): KeySource {
  const { persistFile, logger } = options;
  const refreshIntervalMs = options.refreshIntervalMs ?? KEY_SOURCE_DEFAULTS.refreshIntervalMs;
  const minRefreshIntervalMs = options.minRefreshIntervalMs ?? KEY_SOURCE_DEFAULTS.minRefreshIntervalMs;
  const initialRetryMs = options.initialRetryMs ?? KEY_SOURCE_DEFAULTS.initialRetryMs;
  const fetchTimeoutMs = options.fetchTimeoutMs ?? KEY_SOURCE_DEFAULTS.fetchTimeoutMs;
  const clock = options.clock ?? systemClock;
  const timers = options.timers ?? unrefTimers;
  const source = keyLocation({ ...options, fetchTimeoutMs });
  const { kind } = source;
  const held = createHeldKeys(kind, persistFile, logger);
  const createdAtMs = clock.now();
  const deps: LoadDeps = { source, held, clock, logger };

  const state: LoadState = {
    inFlight: undefined,
    lastAttemptMs: Number.NEGATIVE_INFINITY,
    lastSuccessAtMs: undefined,
    lastError: undefined,
    fromPersisted: false,
    failuresBeforeFirstLoad: 0,
    timer: undefined,
    closed: false,
  };

  const startKeys = installStartKeys(options, held, kind);
  if (startKeys === 'file') state.lastSuccessAtMs = clock.now();
  state.fromPersisted = startKeys === 'persisted';

  function refresh(): Promise<boolean> {
    state.inFlight ??= loadKeys(state, deps).finally(() => {
      state.inFlight = undefined;
    });
    return state.inFlight;
  }

  function schedule(): void {
    if (state.closed) return;
    // Until a first set is loaded, retry soon (doubling up to the unknown-kid pace), not after an hour.
    const delayMs =
      state.lastSuccessAtMs !== undefined
        ? refreshIntervalMs
        : Math.min(
            minRefreshIntervalMs,
            initialRetryMs * 2 ** Math.max(0, state.failuresBeforeFirstLoad - 1),
          );
    state.timer = timers.setTimeout(() => {
      state.timer = undefined;
      void refresh().finally(schedule);
    }, delayMs);
  }

  let started: Promise<void> | undefined;
  return {
    start() {
      started ??= refresh().then(() => schedule());
      return started;
    },
    current: held.current,
    refresh,
    async refreshForUnknownKey() {
      if (state.inFlight === undefined && clock.now() - state.lastAttemptMs < minRefreshIntervalMs) {
        return 'rate-limited';
      }
      // Joining a load already under way tells as much as starting one.
      const version = held.current()?.version;
      await refresh();
      if (state.lastError !== undefined) return 'failed';
      return held.current()?.version !== version ? 'changed' : 'unchanged';
    },
    status: () => describeStatus(state, source, held, createdAtMs),
    close() {
      state.closed = true;
      if (state.timer !== undefined) timers.clearTimeout(state.timer);
    },
  };
}

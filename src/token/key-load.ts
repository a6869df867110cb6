// One load of the issuer's signing keys for jwks.ts: fetch, install and persist a changed set, or record the
// failure (our own message only) and keep the last good set. The state it updates is shared with the key
// source's refresh, schedule and status.
import type { Clock } from '../clock.ts';
import type { Logger } from '../observability/logger.ts';
import type { KeyLocation } from './key-location.ts';
import type { HeldKeys } from './key-set.ts';

/** One key source's load state: shared by load, refresh, schedule and status. */
export interface LoadState {
  inFlight: Promise<boolean> | undefined;
  lastAttemptMs: number;
  lastSuccessAtMs: number | undefined;
  lastError: string | undefined;
  fromPersisted: boolean;
  failuresBeforeFirstLoad: number;
  timer: unknown;
  closed: boolean;
}

/** What a load reads from: where keys come from, the set held, the clock and the log. */
export interface LoadDeps {
  source: KeyLocation;
  held: HeldKeys;
  clock: Clock;
  logger: Logger;
}

/** One fetch: installs and persists a changed set, or records the failure. Resolves true when the set changed. */
export async function loadKeys(state: LoadState, deps: LoadDeps): Promise<boolean> {
  const { source, held, clock, logger } = deps;
  const { kind } = source;
  state.lastAttemptMs = clock.now();
  try {
    const jwks = await source.fetch();
    const first = state.lastSuccessAtMs === undefined && held.current() === undefined;
    state.lastSuccessAtMs = clock.now();
    state.lastError = undefined;
    state.fromPersisted = false;
    state.failuresBeforeFirstLoad = 0;
    if (!held.install(jwks)) return false;
    held.persist();
    logger.info(
      { source: kind, keys: jwks.length, version: held.current()!.version },
      first ? 'token signing keys loaded; tokens are verified from now on' : 'token signing keys loaded',
    );
    return true;
  } catch (err) {
    // Only our own messages are logged: they name the source, never key or token material.
    state.lastError = err instanceof Error ? err.message : 'unknown error';
    const kept = held.current();
    if (kept === undefined) state.failuresBeforeFirstLoad++;
    logger.warn(
      { source: kind, reason: state.lastError, keptVersion: kept?.version },
      kept === undefined
        ? 'token signing keys could not be loaded; serving in claims mode until they load'
        : 'token signing keys refresh failed; keeping the last good set',
    );
    return false;
  }
}

// Background renewal: entries are renewed before they age out, at most --max-service-qps calls per second,
// oldest-due first. Dead pods cost nothing: entries whose token has expired are dropped, and entries nobody
// asked for since their last fetch are skipped, not renewed (they stay servable until their credentials age out).
import type { Clock } from '../clock.ts';
import type { Logger } from '../observability/logger.ts';
import type { CredentialsMetrics } from '../observability/metrics.ts';
import type { CredentialCache } from './cache.ts';
import type { CredentialService } from './credential-service.ts';
import type { CredentialEntry } from './entry.ts';

export interface RefresherOptions {
  cache: CredentialCache;
  service: CredentialService;
  /** --max-service-qps: renewals started per second (also the burst). */
  maxServiceQps: number;
  clock: Clock;
  metrics: Pick<CredentialsMetrics, 'refreshes'>;
  logger: Logger;
  /** How often due entries are looked for. */
  intervalMs?: number;
  /** Asks the runtime for a collection (after a sweep packed many entries); `Bun.gc(false)` by default. */
  collect?: () => void;
}

/**
 * A sweep that packed at least this many entries is followed by a collection: the strings it freed (~2 KB an
 * entry) are returned at once instead of whenever the heap next grows, which after a storm can be 10-20 s.
 */
export const COLLECT_AFTER_PACKED = 256;

export interface Refresher {
  /** One scan: drops dead entries and starts the renewals the rate allows. Resolves when they settle. */
  tick(): Promise<void>;
  start(): void;
  stop(): void;
}

export function createRefresher(options: RefresherOptions): Refresher {
  const { cache, service, clock, metrics, logger } = options;
  const intervalMs = options.intervalMs ?? 1_000;
  const collect = options.collect ?? (() => Bun.gc(false));
  const qps = options.maxServiceQps;
  const burst = Math.max(1, qps);
  let tokens = burst;
  // Rates and due times are monotonic (a wall-clock step must not stall renewals for the step's length);
  // expiry checks are wall time, which is what credential and token expiry are defined in.
  let lastRefillMs = clock.monotonic();
  let timer: ReturnType<typeof setInterval> | undefined;

  function refill(nowMs: number) {
    tokens = Math.min(burst, tokens + ((nowMs - lastRefillMs) / 1000) * qps);
    lastRefillMs = nowMs;
  }

  function drop(entry: CredentialEntry, result: 'dropped_token_expired' | 'dropped_credentials_expired') {
    cache.evict(entry.key);
    metrics.refreshes.labels(result).inc();
  }

  async function renew(entry: CredentialEntry) {
    const due = entry.renewAtMonotonicMs;
    // Not picked again while in flight; a recoverable failure sets the next attempt.
    entry.renewAtMonotonicMs = Number.POSITIVE_INFINITY;
    const result = await service.renew(entry);
    metrics.refreshes.labels(result).inc();
    if (result !== 'success')
      logger.debug({ result, overdueMs: clock.monotonic() - due }, 'credential renewal failed');
  }

  async function tick() {
    const nowMs = clock.now();
    const monoMs = clock.monotonic();
    refill(monoMs);
    const due: CredentialEntry[] = [];
    for (const entry of cache.entries()) {
      if (nowMs >= entry.servableUntilMs) drop(entry, 'dropped_credentials_expired');
      else if (entry.renewAtMonotonicMs > monoMs) continue;
      else if (entry.tokenExpiresAtMs <= nowMs) drop(entry, 'dropped_token_expired');
      else if (!entry.accessed) {
        if (!entry.idleCounted) {
          entry.idleCounted = true;
          metrics.refreshes.labels('skipped_idle').inc();
        }
      } else due.push(entry);
    }
    due.sort((a, b) => a.renewAtMonotonicMs - b.renewAtMonotonicMs);
    const started: Promise<void>[] = [];
    for (const entry of due) {
      if (tokens < 1) break;
      tokens -= 1;
      started.push(renew(entry));
    }
    // Entries nobody asked for lately go cold (cache.ts), a chunk at a time with requests served in between:
    // after the renewals started, so they are of the entries the scan saw, and not held up by the sweep.
    while (cache.sweep(clock.monotonic())) await new Promise((resolve) => setImmediate(resolve));
    if (cache.takePacked() >= COLLECT_AFTER_PACKED) collect();
    await Promise.all(started);
  }

  return {
    tick,
    start() {
      if (timer) return;
      timer = setInterval(() => {
        tick().catch((err) => logger.error({ err }, 'refresher tick failed'));
      }, intervalMs);
      timer.unref?.();
    },
    stop() {
      if (timer) clearInterval(timer);
      timer = undefined;
    },
  };
}

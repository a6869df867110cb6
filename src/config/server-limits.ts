// The `server`'s bounds and timings: how long a miss may take and wait, how much may be in flight, rate
// limits, the key source's grace and the SIGTERM drain. Each flag has its range beside it.
import type { FlagValues } from '../cli/flag-parser.ts';
import { toDurationMs, toInteger, toNumber } from './flag-values.ts';
import type { ServerFlagName } from './server-flags.ts';

const TEN_MINUTES_MS = 600_000;
const ONE_HOUR_MS = 3_600_000;

/** The bounds and timings in Config (server-config.ts). */
export interface ServerLimits {
  /** --key-source-grace, default 2m: a key source that never loaded this long fails readiness. */
  readonly keySourceGraceMs: number;
  /** --upstream-timeout (Go duration), default 4s: one EKS Auth attempt (a bound for hung connections). */
  readonly upstreamTimeoutMs: number;
  /** --max-upstream-concurrency, default 128: EKS Auth calls in flight at once. */
  readonly maxUpstreamConcurrency: number;
  /** --upstream-failure-gate, default 5: distinct pods failing server-side in a row that open the failure gate; 0 disables. */
  readonly upstreamFailureGate: number;
  /** --max-connections, default 16384: open descriptors at which the data listeners stop accepting. */
  readonly maxConnections: number;
  /** --client-patience (Go duration), default 4500ms: how long a request waits for a miss before a retryable 503. */
  readonly clientPatienceMs: number;
  /** --rate-limit-per-client (cache misses/s per source address), default 100; 0 disables. */
  readonly rateLimitPerClient: number;
  /** --rate-limit-global (cache misses/s in total), default 0 = unlimited. */
  readonly rateLimitGlobal: number;
  /** --drain-delay, default 0 (the manifests set 5s): handover after SIGTERM before the listeners close (agent/drain.ts). */
  readonly drainDelayMs: number;
  /** --shutdown-timeout, default 30s: drain bound on SIGTERM. */
  readonly shutdownTimeoutMs: number;
}

export function readLimits(flags: FlagValues<ServerFlagName>): ServerLimits {
  const duration = (name: ServerFlagName, allowZero: boolean, maxMs: number) =>
    toDurationMs(`--${name}`, flags.value(name), { allowZero, maxMs });
  const integer = (name: ServerFlagName, min: number, max: number) =>
    toInteger(`--${name}`, flags.value(name), min, max);
  const rate = (name: ServerFlagName) => toNumber(`--${name}`, flags.value(name), { min: 0, max: 1_000_000 });
  return {
    keySourceGraceMs: duration('key-source-grace', true, ONE_HOUR_MS),
    upstreamTimeoutMs: duration('upstream-timeout', false, TEN_MINUTES_MS),
    maxUpstreamConcurrency: integer('max-upstream-concurrency', 1, 1024),
    upstreamFailureGate: integer('upstream-failure-gate', 0, 1000),
    maxConnections: integer('max-connections', 64, 1_048_576),
    clientPatienceMs: duration('client-patience', false, TEN_MINUTES_MS),
    rateLimitPerClient: rate('rate-limit-per-client'),
    rateLimitGlobal: rate('rate-limit-global'),
    drainDelayMs: duration('drain-delay', true, ONE_HOUR_MS),
    shutdownTimeoutMs: duration('shutdown-timeout', true, ONE_HOUR_MS),
  };
}

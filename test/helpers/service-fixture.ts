// Builds the credential layer (cache, service, refresher) around a fake EKS Auth and a manual clock.
import { createManualClock } from '../../src/clock.ts';
import { createCredentialCache } from '../../src/credentials/cache.ts';
import { rekeyClaimsEntries } from '../../src/credentials/claims-migration.ts';
import { createCredentialService } from '../../src/credentials/credential-service.ts';
import { createRefresher } from '../../src/credentials/refresher.ts';
import { createSilentLogger } from '../../src/observability/logger.ts';
import { createMetrics } from '../../src/observability/metrics.ts';
import { createTokenChecker } from '../../src/token/token-checker.ts';
import type { TokenVerifier } from '../../src/token/types.ts';
import { createFakeEksAuth } from './fake-eks-auth.ts';

export interface FixtureOptions {
  maxEntries?: number;
  retentionMs?: number;
  clientPatienceMs?: number;
  maxServiceQps?: number;
  verifier?: TokenVerifier;
  lifetimeMs?: number;
}

export function createServiceFixture(options: FixtureOptions = {}) {
  const clock = createManualClock();
  const metrics = createMetrics();
  const logger = createSilentLogger();
  const upstream = createFakeEksAuth(clock, options.lifetimeMs);
  const cache = createCredentialCache({
    maxEntries: options.maxEntries ?? 100,
    keyByIdentity: options.verifier !== undefined,
    metrics,
  });
  const { verifier } = options;
  const checker = createTokenChecker({
    mode: verifier ? 'signature' : 'claims',
    verifier,
    clock,
    onFirstVerified: verifier && (() => rekeyClaimsEntries(cache, verifier, logger)),
  });
  const service = createCredentialService({
    client: upstream,
    cache,
    checker,
    retentionMs: options.retentionMs ?? 3 * 3600_000,
    clientPatienceMs: options.clientPatienceMs ?? 900,
    clock,
    metrics,
    logger,
    random: () => 0.5,
  });
  const refresher = createRefresher({
    cache,
    service,
    maxServiceQps: options.maxServiceQps ?? 3,
    clock,
    metrics,
    logger,
  });
  const nowSeconds = () => Math.floor(clock.now() / 1000);
  /** Lets time pass until the monotonic clock reads `ms` (renewal times are monotonic). */
  const advanceMonotonicTo = (ms: number) => clock.advance(Math.max(0, ms - clock.monotonic()));
  return { clock, metrics, upstream, cache, service, refresher, nowSeconds, advanceMonotonicTo };
}

/** The value of a counter/gauge child, read from the registry. */
export async function metricValue(
  metrics: ReturnType<typeof createMetrics>,
  name: string,
  labels: Record<string, string> = {},
): Promise<number> {
  const metric = metrics.registry.getSingleMetric(name);
  if (!metric) throw new Error(`no metric ${name}`);
  const data = await metric.get();
  const match = data.values.find((v) =>
    Object.entries(labels).every(([k, val]) => (v.labels as Record<string, unknown>)[k] === val),
  );
  return match?.value ?? 0;
}

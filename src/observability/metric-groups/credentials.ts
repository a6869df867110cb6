// Metrics of the credential cache and its fetches: lookups and evictions, fetch errors, joined calls,
// entries held, background refreshes and refused upstream answers. Hit, miss and eviction counts are tallies
// (plain numbers until a scrape), so a cache hit never calls prom-client.
import { Counter, Gauge, type Registry } from '../prom-client.ts';
import { createTally } from './tally.ts';

export function createCredentialsMetrics(registry: Registry) {
  // Declared first: the counter below flushes them in its collect hook, which runs on every scrape.
  const hot = {
    hit: createTally(() => cacheState.labels('hit')),
    miss: createTally(() => cacheState.labels('miss')),
    evicted: createTally(() => cacheState.labels('evicted')),
  };
  // --- two of the public agent's three metrics, same names and meanings (no _total suffix) ---
  const cacheState = new Counter({
    name: 'pod_identity_cache_state',
    help: 'Credential cache lookups and evictions (state=hit|miss|evicted).',
    labelNames: ['state'] as const,
    registers: [registry],
    collect() {
      hot.hit.flush();
      hot.miss.flush();
      hot.evicted.flush();
    },
  });
  const cacheErrors = new Counter({
    name: 'pod_identity_cache_errors',
    help: 'Errors fetching credentials for the cache (type=Recoverable|NonRecoverable, code=error code).',
    labelNames: ['type', 'code'] as const,
    registers: [registry],
  });
  // --- additions ---
  const singleFlightShared = new Counter({
    name: 'pod_identity_single_flight_shared_total',
    help: 'Cache misses that joined an upstream call already in flight for the same key instead of making one.',
    registers: [registry],
  });
  // Read at scrape time from the credential cache (set by createCredentialCache).
  const cacheSize: { read?: () => number } = {};
  const cacheEntries = new Gauge({
    name: 'pod_identity_cache_entries',
    help: 'Credential entries held in the cache.',
    registers: [registry],
    collect() {
      if (cacheSize.read) this.set(cacheSize.read());
    },
  });
  const coldSize: { read?: () => number } = {};
  const cacheColdEntries = new Gauge({
    name: 'pod_identity_cache_cold_entries',
    help: "Credential entries in the cache's cold tier (packed, unpacked again by a hit); part of pod_identity_cache_entries.",
    registers: [registry],
    collect() {
      if (coldSize.read) this.set(coldSize.read());
    },
  });
  const refreshes = new Counter({
    name: 'pod_identity_refreshes_total',
    help: 'Background refresh decisions, by result.',
    labelNames: ['result'] as const,
    registers: [registry],
  });
  const subjectMismatches = new Counter({
    name: 'pod_identity_upstream_subject_mismatch_total',
    help: "EKS Auth answers whose subject (namespace, service account) is not the token's; refused, not cached.",
    registers: [registry],
  });
  return {
    cacheState,
    cacheErrors,
    singleFlightShared,
    cacheEntries,
    cacheSize,
    cacheColdEntries,
    coldSize,
    refreshes,
    subjectMismatches,
    hot,
  };
}

export type CredentialsMetrics = ReturnType<typeof createCredentialsMetrics>;

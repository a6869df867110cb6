// The agent's Prometheus metrics: one registry per agent instance (so tests can run several agents in one
// process without sharing counters), pre-bound children for the hot path, bounded label values only.

import { FastHistogram } from './fast-histogram.ts';
import { Counter, Gauge, Histogram, Registry } from './prom-client.ts';

/** Seconds; tuned for a hot path answering in tens of microseconds and an upstream in hundreds of ms. */
const REQUEST_BUCKETS = [0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5];
const UPSTREAM_BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];

export interface Tally {
  inc(n?: number): void;
}

/**
 * A counter for the cache-hit path: a plain number, added to its prom-client child when the registry is read
 * (a prom-client Counter#inc measured ~90 ns; this is a property write).
 */
function createTally(child: () => { inc(n: number): void }): Tally & { flush(): void } {
  let pending = 0;
  return {
    inc(n = 1) {
      pending += n;
    },
    flush() {
      if (pending !== 0) {
        child().inc(pending);
        pending = 0;
      }
    },
  };
}

export function createMetrics(registry: Registry = new Registry()) {
  // Declared first: the counters below flush them in their collect hooks, which run on every scrape.
  const tallies = {
    response200: createTally(() => httpResponse.labels('200')),
    hit: createTally(() => cacheState.labels('hit')),
    miss: createTally(() => cacheState.labels('miss')),
    evicted: createTally(() => cacheState.labels('evicted')),
  };
  // --- the public agent's three metrics, same names and meanings (no _total suffix, for compatibility) ---
  const httpResponse = new Counter({
    name: 'pod_identity_http_response',
    help: 'Responses of the credentials endpoint, by HTTP status code.',
    labelNames: ['code'] as const,
    registers: [registry],
    collect() {
      tallies.response200.flush();
    },
  });
  const cacheState = new Counter({
    name: 'pod_identity_cache_state',
    help: 'Credential cache lookups and evictions (state=hit|miss|evicted).',
    labelNames: ['state'] as const,
    registers: [registry],
    collect() {
      tallies.hit.flush();
      tallies.miss.flush();
      tallies.evicted.flush();
    },
  });
  const cacheErrors = new Counter({
    name: 'pod_identity_cache_errors',
    help: 'Errors fetching credentials for the cache (type=Recoverable|NonRecoverable, code=error code).',
    labelNames: ['type', 'code'] as const,
    registers: [registry],
  });

  // --- additions ---
  // Observed on every cache hit: our own cheap histogram (see fast-histogram.ts), same exposition.
  const requestDuration = new FastHistogram({
    name: 'pod_identity_request_duration_seconds',
    help: 'Time to answer a credentials request, by outcome (hit, miss, error).',
    labelNames: ['outcome'] as const,
    buckets: REQUEST_BUCKETS,
    registers: [registry],
  });
  // Moved by every miss and its answer: a plain number, read when the registry is scraped.
  let requestsInFlightNow = 0;
  const requestsInFlightGauge = new Gauge({
    name: 'pod_identity_requests_in_flight',
    help: 'Credentials requests being answered now.',
    registers: [registry],
    collect() {
      this.set(requestsInFlightNow);
    },
  });
  const requestsInFlight = {
    inc() {
      requestsInFlightNow += 1;
    },
    dec() {
      requestsInFlightNow -= 1;
    },
    /** For tests: what a scrape would report. */
    set(value: number) {
      requestsInFlightNow = value;
    },
    gauge: requestsInFlightGauge,
  };
  const upstreamDuration = new Histogram({
    name: 'pod_identity_upstream_duration_seconds',
    help: 'EKS Auth AssumeRoleForPodIdentity attempt latency, by reason and result (success or error code).',
    labelNames: ['reason', 'result'] as const,
    buckets: UPSTREAM_BUCKETS,
    registers: [registry],
  });
  const upstreamCalls = new Counter({
    name: 'pod_identity_upstream_calls_total',
    help: 'EKS Auth AssumeRoleForPodIdentity attempts, by reason and result (success or error code).',
    labelNames: ['reason', 'result'] as const,
    registers: [registry],
  });
  const upstreamRetries = new Counter({
    name: 'pod_identity_upstream_retries_total',
    help: 'EKS Auth attempts that were retries of a failed attempt.',
    registers: [registry],
  });
  const upstreamInFlight = new Gauge({
    name: 'pod_identity_upstream_in_flight',
    help: 'EKS Auth calls in flight now.',
    registers: [registry],
  });
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
  const refreshes = new Counter({
    name: 'pod_identity_refreshes_total',
    help: 'Background refresh decisions, by result.',
    labelNames: ['result'] as const,
    registers: [registry],
  });
  const tokenVerifications = new Counter({
    name: 'pod_identity_token_verifications_total',
    help: 'Token signature verifications, by result (valid or the rejection code).',
    labelNames: ['result'] as const,
    registers: [registry],
  });
  const verifyQueueDepth = new Gauge({
    name: 'pod_identity_token_verification_queue_depth',
    help: 'Token verifications waiting for a worker.',
    registers: [registry],
  });
  const listenerUp = new Gauge({
    name: 'pod_identity_listener_up',
    help: 'Whether the credentials listener on each bind host is bound (1) or not (0).',
    labelNames: ['host'] as const,
    registers: [registry],
  });
  const acceptingConnections = new Gauge({
    name: 'pod_identity_accepting_connections',
    help: 'Whether the data listeners accept new connections (0 while open descriptors are at --max-connections).',
    registers: [registry],
  });
  acceptingConnections.set(1);
  const rateLimited = new Counter({
    name: 'pod_identity_rate_limited_total',
    help: 'Requests refused by a rate limit, by scope (client or global).',
    labelNames: ['scope'] as const,
    registers: [registry],
  });
  const startupTaint = new Gauge({
    name: 'pod_identity_startup_taint',
    help: "--startup-taint on the agent's node: 1 for the current state (waiting, removing, removed, absent, failed).",
    labelNames: ['state'] as const,
    registers: [registry],
  });
  // Read at scrape time from the agent's verification state (set by createVerification).
  const verificationState: { read?: () => { mode: string; keys: number } } = {};
  new Gauge({
    name: 'pod_identity_verification_mode',
    help: 'Token checks requests are served with now (1 for the active mode): signature, or claims while no signing keys have loaded, or off.',
    labelNames: ['mode'] as const,
    registers: [registry],
    collect() {
      const mode = verificationState.read?.().mode;
      for (const m of ['off', 'claims', 'signature']) this.labels(m).set(m === mode ? 1 : 0);
    },
  });
  new Gauge({
    name: 'pod_identity_signing_keys',
    help: 'Token signing keys held (0 while none has loaded).',
    registers: [registry],
    collect() {
      this.set(verificationState.read?.().keys ?? 0);
    },
  });
  const subjectMismatches = new Counter({
    name: 'pod_identity_upstream_subject_mismatch_total',
    help: "EKS Auth answers whose subject (namespace, service account) is not the token's; refused, not cached.",
    registers: [registry],
  });
  const buildInfo = new Gauge({
    name: 'pod_identity_build_info',
    help: 'Build information; the value is always 1.',
    labelNames: ['version', 'runtime'] as const,
    registers: [registry],
  });

  // The hot path never does a label lookup, and its counters are plain numbers until a scrape reads them.
  const hot = {
    response200: tallies.response200,
    hit: tallies.hit,
    miss: tallies.miss,
    evicted: tallies.evicted,
    durationHit: requestDuration.labels('hit'),
    durationMiss: requestDuration.labels('miss'),
    durationError: requestDuration.labels('error'),
  };

  return {
    registry,
    httpResponse,
    cacheState,
    cacheErrors,
    requestDuration,
    requestsInFlight,
    upstreamDuration,
    upstreamCalls,
    upstreamRetries,
    upstreamInFlight,
    singleFlightShared,
    cacheEntries,
    cacheSize,
    refreshes,
    tokenVerifications,
    verifyQueueDepth,
    listenerUp,
    acceptingConnections,
    rateLimited,
    startupTaint,
    buildInfo,
    verificationState,
    subjectMismatches,
    hot,
  };
}

export type Metrics = ReturnType<typeof createMetrics>;

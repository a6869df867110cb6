// Metrics of the credentials endpoint and its listeners: responses, request latency, requests in flight,
// listener state and rate limits. The hot part is what a cache hit writes (no label lookup, no prom-client call).
import { FastHistogram } from '../fast-histogram.ts';
import { Counter, Gauge, type Registry } from '../prom-client.ts';
import { createTally } from './tally.ts';

/** Seconds; tuned for a hot path answering in tens of microseconds and an upstream in hundreds of ms. */
const REQUEST_BUCKETS = [0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5];

/** The public agent's metric: same name and meaning (no _total suffix, for compatibility). */
export function createHttpResponseMetric(registry: Registry) {
  // Declared before the counter: its collect hook flushes it on every scrape.
  const response200 = createTally(() => httpResponse.labels('200'));
  const httpResponse = new Counter({
    name: 'pod_identity_http_response',
    help: 'Responses of the credentials endpoint, by HTTP status code.',
    labelNames: ['code'] as const,
    registers: [registry],
    collect() {
      response200.flush();
    },
  });
  return { httpResponse, response200 };
}

export function createRequestMetrics(registry: Registry) {
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
  return { requestDuration, requestsInFlight };
}

export function createListenerMetrics(registry: Registry) {
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
  return { listenerUp, acceptingConnections, rateLimited };
}

export function createHttpMetrics(registry: Registry) {
  const { httpResponse, response200 } = createHttpResponseMetric(registry);
  const { requestDuration, requestsInFlight } = createRequestMetrics(registry);
  return {
    httpResponse,
    requestDuration,
    requestsInFlight,
    ...createListenerMetrics(registry),
    // The hot path never does a label lookup, and its counter is a plain number until a scrape reads it.
    hot: {
      response200,
      durationHit: requestDuration.labels('hit'),
      durationMiss: requestDuration.labels('miss'),
      durationError: requestDuration.labels('error'),
    },
  };
}

export type HttpMetrics = ReturnType<typeof createHttpMetrics>;

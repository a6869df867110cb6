// Metrics of EKS Auth attempts (written by the client's upstream observer): latency and results by reason,
// retries, calls in flight; and the failure gate's state (failure-gate.ts).
import { Counter, Gauge, Histogram, type Registry } from '../prom-client.ts';

/** Seconds; an upstream answering in hundreds of ms, up to the 4 s attempt timeout and beyond. */
const UPSTREAM_BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];

export function createEksAuthMetrics(registry: Registry) {
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
  const upstreamGateOpen = new Gauge({
    name: 'pod_identity_upstream_failure_gate_open',
    help: 'EKS Auth failure gate: 1 while EKS Auth keeps failing server-side and calls wait for a probe (at most one every 250 ms).',
    registers: [registry],
  });
  const upstreamGateHeldFailures = new Counter({
    name: 'pod_identity_upstream_failure_gate_held_total',
    help: 'EKS Auth calls ended unsent by the failure gate: with the failure of the probe they waited for, at their budget while held for a probe to succeed, or because too many waited (the client with the most waiting gives way first).',
    registers: [registry],
  });
  return {
    upstreamDuration,
    upstreamCalls,
    upstreamRetries,
    upstreamInFlight,
    upstreamGateOpen,
    upstreamGateHeldFailures,
  };
}

export type EksAuthMetrics = ReturnType<typeof createEksAuthMetrics>;

// Test fixture: an agent registry in which every metric family has been touched with representative
// labels, so exposition-format checks see every family with samples, not just HELP/TYPE lines.
import { setBuildInfo } from '../../src/observability/build-info.ts';
import { createEventLoopMonitor, type EventLoopMonitor } from '../../src/observability/event-loop-monitor.ts';
import { createMetrics, type Metrics } from '../../src/observability/metrics.ts';
import { installProcessMetrics } from '../../src/observability/process-metrics.ts';

export interface TouchedMetrics {
  metrics: Metrics;
  monitor: EventLoopMonitor;
  processMetricNames: string[];
}

export function createTouchedMetrics(): TouchedMetrics {
  const metrics = createMetrics();
  // A monitor whose ticks never run (manual scheduler): the lag gauge exists without a live timer.
  const monitor = createEventLoopMonitor({ scheduler: () => () => {} });
  const processMetricNames = installProcessMetrics(metrics.registry, { eventLoopMonitor: monitor });

  metrics.hot.response200.inc(5);
  metrics.httpResponse.labels('400').inc();
  metrics.httpResponse.labels('503').inc();
  metrics.hot.hit.inc(4);
  metrics.hot.miss.inc();
  metrics.hot.evicted.inc();
  metrics.cacheErrors.labels('Recoverable', 'ThrottlingException').inc();
  metrics.cacheErrors.labels('NonRecoverable', 'AccessDeniedException').inc();
  metrics.hot.durationHit.observe(0.00003);
  metrics.hot.durationMiss.observe(0.12);
  metrics.hot.durationError.observe(0.9);
  metrics.requestsInFlight.set(2);
  metrics.upstreamDuration.labels('request', 'success').observe(0.15);
  metrics.upstreamDuration.labels('refresh', 'ThrottlingException').observe(0.05);
  metrics.upstreamCalls.labels('request', 'success').inc();
  metrics.upstreamCalls.labels('refresh', 'ThrottlingException').inc();
  metrics.upstreamRetries.inc();
  metrics.upstreamInFlight.set(1);
  metrics.singleFlightShared.inc(3);
  metrics.cacheEntries.set(42);
  for (const result of ['success', 'recoverable_error', 'evicted', 'dropped_idle'] as const) {
    metrics.refreshes.labels(result).inc();
  }
  metrics.tokenVerifications.labels('valid').inc(7);
  metrics.tokenVerifications.labels('TokenRejected').inc();
  metrics.verifyQueueDepth.set(0);
  metrics.listenerUp.labels('169.254.170.23').set(1);
  metrics.listenerUp.labels('fd00:ec2::23').set(0);
  metrics.rateLimited.labels('client').inc();
  metrics.rateLimited.labels('global').inc();
  metrics.startupTaint.labels('removed').set(1);
  metrics.startupTaint.labels('waiting').set(0);
  setBuildInfo(metrics, { version: '0.0.0-test' });
  return { metrics, monitor, processMetricNames };
}

/** Family names (as registered) of every metric in the exposition text. */
export function familyNames(exposition: string): Set<string> {
  const names = new Set<string>();
  for (const line of exposition.split('\n')) {
    const m = /^# TYPE (\S+) /.exec(line);
    if (m) names.add(m[1]!);
  }
  return names;
}

/** Series names as they appear in samples (histograms add _bucket, _sum, _count). */
export function sampleNames(exposition: string): Set<string> {
  const names = new Set<string>();
  for (const line of exposition.split('\n')) {
    if (line === '' || line.startsWith('#')) continue;
    const m = /^[a-zA-Z_:][a-zA-Z0-9_:]*/.exec(line);
    if (m) names.add(m[0]);
  }
  return names;
}

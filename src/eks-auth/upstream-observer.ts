// Metrics and one log line per EKS Auth attempt. Labels and fields are bounded facts only (reason, result
// code, status, request id, attempt, latency): never the token or any credential.
import { toAgentError } from '../errors.ts';
import type { Logger } from '../observability/logger.ts';
import type { EksAuthMetrics } from '../observability/metrics.ts';
import { EksAuthError } from './errors.ts';

/** The metrics of EKS Auth attempts (the only ones the client writes). */
export type UpstreamMetrics = Pick<
  EksAuthMetrics,
  'upstreamCalls' | 'upstreamDuration' | 'upstreamInFlight' | 'upstreamRetries'
>;

export interface UpstreamObserverOptions {
  readonly metrics?: UpstreamMetrics | undefined;
  readonly logger?: Logger | undefined;
}

export interface AttemptObservation {
  success(requestId: string | undefined, latencyMs: number): void;
  failure(err: unknown, latencyMs: number): void;
}

export function createUpstreamObserver(options: UpstreamObserverOptions) {
  const { metrics, logger } = options;
  // Children are cached: reason x result is a small closed set (2 x error codes).
  const children = new Map<string, { calls: { inc(): void }; duration: { observe(v: number): void } }>();
  const child = (reason: string, result: string) => {
    const key = `${reason}\u0000${result}`;
    let c = children.get(key);
    if (c === undefined && metrics) {
      c = {
        calls: metrics.upstreamCalls.labels(reason, result),
        duration: metrics.upstreamDuration.labels(reason, result),
      };
      children.set(key, c);
    }
    return c;
  };

  return {
    start(reason: string, attempt: number): AttemptObservation {
      metrics?.upstreamInFlight.inc();
      if (attempt > 1) metrics?.upstreamRetries.inc();
      const record = (result: string, latencyMs: number) => {
        metrics?.upstreamInFlight.dec();
        const c = child(reason, result);
        c?.calls.inc();
        c?.duration.observe(latencyMs / 1000);
      };
      return {
        success(requestId, latencyMs) {
          record('success', latencyMs);
          // Info: an upstream call happens about once per pod per renewal, so this line is cheap and is the
          // audit trail operators correlate with CloudTrail (the request id).
          logger?.info(
            { reason, attempt, status: 200, requestId, latencyMs: Math.round(latencyMs) },
            'EKS Auth AssumeRoleForPodIdentity succeeded',
          );
        },
        failure(err, latencyMs) {
          const e = toAgentError(err);
          record(e.code, latencyMs);
          const upstream = err instanceof EksAuthError ? err : undefined;
          logger?.warn(
            {
              reason,
              attempt,
              code: e.code,
              kind: upstream?.kind,
              status: upstream?.upstreamStatus,
              requestId: upstream?.requestId,
              retryable: e.retryable,
              latencyMs: Math.round(latencyMs),
              error: e.message,
            },
            'EKS Auth AssumeRoleForPodIdentity failed',
          );
        },
      };
    },
  };
}

// What a failed EKS Auth attempt means for pacing and for a retry: pure decisions over the failure, the
// attempt number, the call's deadline and the shared retry budget (the client's loop only acts on them).
import type { AdaptivePacer } from './adaptive-pacer.ts';
import { type BackoffOptions, fullJitterBackoffMs } from './backoff.ts';
import { EksAuthError } from './errors.ts';
import type { UpstreamOutcome } from './failure-gate.ts';
import type { RetryQuota } from './retry-quota.ts';

/** Tells the pacer what a failed attempt says about the rate EKS Auth admits. */
export function paceOnFailure(pacer: AdaptivePacer, err: unknown): void {
  if (!(err instanceof EksAuthError)) return;
  if (err.code === 'ThrottlingException') pacer.onThrottle();
  // EKS Auth admitted and answered it (a pod's bad token, no association): it counts towards the rate EKS
  // Auth admits, or a flood of junk tokens would make the pacer underrate it.
  else if (err.kind === 'modelled' && err.upstreamStatus !== undefined && err.upstreamStatus < 500)
    pacer.onSuccess();
}

/**
 * What a sent attempt's failure says about EKS Auth itself, for the failure gate: failing server-side (a 5xx
 * other than throttling, a timeout, no connection), answering (throttling, a 4xx about the pod or the node's
 * signature: it is up and deciding), or nothing (the node's credentials failed and nothing was sent; a 2xx
 * that does not parse).
 */
export function upstreamOutcome(err: unknown): UpstreamOutcome {
  if (!(err instanceof EksAuthError)) return 'neutral';
  if (err.kind === 'timeout' || err.kind === 'network') return 'failing';
  if (err.kind !== 'modelled' && err.kind !== 'http') return 'neutral';
  if (err.code === 'ThrottlingException' || err.upstreamStatus === 429) return 'answering';
  return err.upstreamStatus !== undefined && err.upstreamStatus >= 500 ? 'failing' : 'answering';
}

export interface RetryContext {
  /** The attempt that just failed, from 1. */
  readonly attempt: number;
  readonly maxAttempts: number;
  /** Monotonic ms the call must end by, or undefined without a budget. */
  readonly deadline: number | undefined;
  readonly now: number;
  readonly pacer: AdaptivePacer;
  readonly retryQuota: RetryQuota;
  readonly backoff: BackoffOptions;
}

/** A retry to make after a wait of delayMs, having spent cost from the retry quota. */
export interface Retry {
  readonly delayMs: number;
  readonly cost: number;
}

/** The retry after `failure`, or undefined when the call ends with it (taking the quota's cost if not). */
export function decideRetry(failure: unknown, ctx: RetryContext): Retry | undefined {
  if (!(failure instanceof EksAuthError) || !failure.retryable) return undefined;
  // While paced, a throttled call's retry waits for its slot like any call: it cannot storm, so it costs
  // nothing from the quota that guards against unpaced retries, and with a budget it may go on until the
  // budget ends (a pod-start storm is a queue drained at the upstream's pace, and a pod whose turn came
  // during a throttled second should not lose its place for good).
  const pacedThrottle = failure.code === 'ThrottlingException' && ctx.pacer.rate !== Number.POSITIVE_INFINITY;
  const { attempt, maxAttempts, deadline } = ctx;
  if (attempt >= maxAttempts && !(pacedThrottle && deadline !== undefined)) return undefined;
  const delayMs = fullJitterBackoffMs(Math.min(attempt, maxAttempts), ctx.backoff);
  if (deadline !== undefined && ctx.now + delayMs >= deadline) return undefined;
  const cost = pacedThrottle ? 0 : ctx.retryQuota.tryAcquire(failure.code);
  if (cost === false) return undefined;
  return { delayMs, cost };
}

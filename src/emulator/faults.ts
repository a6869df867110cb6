// Injected faults for AssumeRoleForPodIdentity: outages, latency, throttling by rate, and chosen failures.
import type { Clock } from '../clock.ts';
import { createTokenBucket, refillBucket, type TokenBucket } from '../shared/token-bucket.ts';
import type { EmulatorFaults } from './types.ts';

/** What the handler should do instead of (or before) answering normally. */
export type FaultDecision =
  | { readonly kind: 'none' }
  | { readonly kind: 'hang' }
  /** A modelled error (or auth error) by code. */
  | { readonly kind: 'error'; readonly code: string }
  | { readonly kind: 'malformed' }
  | { readonly kind: 'http-error' };

export interface FaultState {
  /** Replaces all faults; input must already be validated (parseFaults). */
  set(faults: EmulatorFaults): void;
  reset(): void;
  current(): EmulatorFaults;
  latencyMs(): number;
  /** Checked first: a service-wide outage answers before anything else. */
  outage(): FaultDecision;
  /** Checked after the request is authenticated: maxTps, then failWith at failRate. */
  admit(): FaultDecision;
}

export interface FaultStateOptions {
  clock: Clock;
  random: () => number;
}

const NONE: FaultDecision = { kind: 'none' };

export function createFaultState(options: FaultStateOptions): FaultState {
  const { clock, random } = options;
  let faults: EmulatorFaults = {};
  // EKS Auth's throttling: a token bucket refilled at maxTps per second of the injected clock's monotonic
  // reading, `burst` deep (default maxTps: one second's calls), full when the faults are set. A throttled
  // call takes nothing. Deterministic under a manual clock; no wall-clock second boundaries, so what a
  // client gets does not depend on where in a second its first burst falls.
  let bucket: TokenBucket | undefined;

  return {
    set(f) {
      faults = { ...f };
      bucket = undefined;
    },
    reset() {
      faults = {};
      bucket = undefined;
    },
    current: () => ({ ...faults }),
    latencyMs: () => faults.latencyMs ?? 0,
    outage() {
      if (faults.outage === 'hang') return { kind: 'hang' };
      if (faults.outage === true || faults.outage === 'unavailable') {
        return { kind: 'error', code: 'ServiceUnavailableException' };
      }
      return NONE;
    },
    admit() {
      const { maxTps } = faults;
      if (maxTps !== undefined) {
        const capacity = faults.burst ?? maxTps;
        const nowMs = clock.monotonic();
        if (bucket === undefined) bucket = createTokenBucket(capacity, nowMs);
        else refillBucket(bucket, nowMs, maxTps, capacity);
        if (bucket.tokens < 1) return { kind: 'error', code: 'ThrottlingException' };
        bucket.tokens -= 1;
      }
      const { failWith } = faults;
      if (failWith === undefined || random() >= (faults.failRate ?? 1)) return NONE;
      if (failWith === 'MalformedResponse') return { kind: 'malformed' };
      if (failWith === 'HttpError') return { kind: 'http-error' };
      return { kind: 'error', code: failWith };
    },
  };
}

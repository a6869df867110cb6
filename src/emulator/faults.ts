// Injected faults for AssumeRoleForPodIdentity: outages, latency, throttling by rate, and chosen failures.
import type { Clock } from '../clock.ts';
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
  let windowSecond = -1;
  let callsInWindow = 0;

  return {
    set(f) {
      faults = { ...f };
      windowSecond = -1;
    },
    reset() {
      faults = {};
      windowSecond = -1;
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
      if (faults.maxTps !== undefined) {
        // A fixed one-second window by the injected clock: deterministic under a manual clock.
        const second = Math.floor(clock.now() / 1000);
        if (second !== windowSecond) {
          windowSecond = second;
          callsInWindow = 0;
        }
        callsInWindow++;
        if (callsInWindow > faults.maxTps) return { kind: 'error', code: 'ThrottlingException' };
      }
      const { failWith } = faults;
      if (failWith === undefined || random() >= (faults.failRate ?? 1)) return NONE;
      if (failWith === 'MalformedResponse') return { kind: 'malformed' };
      if (failWith === 'HttpError') return { kind: 'http-error' };
      return { kind: 'error', code: failWith };
    },
  };
}

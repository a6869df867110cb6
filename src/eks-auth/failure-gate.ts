// The upstream failure gate: once EKS Auth has failed server-side (5xx, timeouts, connection errors) for several
// pods in a row, one call at a time goes out as a probe, at most one per PROBE_INTERVAL_MS, and calls that
// arrive meanwhile wait for the next probe's outcome instead of each paying for a call of its own (signing,
// fetch(), classifying, logging). The probe's failure ends them with its error, as their own calls would have
// ended; its success, or any answer that is not a server-side failure, closes the gate and sends them at once.
// Throttling is the adaptive pacer's (adaptive-pacer.ts) and an answer about a pod (4xx) says EKS Auth is up:
// neither counts. What counts is decided by upstreamOutcome (retry-decision.ts).
import type { Timers } from '../clock.ts';
import { systemTimers } from '../clock.ts';

/**
 * Distinct pods' calls (tokens) failing server-side in a row, with no other answer between, before the gate
 * opens. One pod cannot open it: its SDK's retries and the agent's own are calls for one token, however many.
 * Five pods is a storm's first few misses (a node starting 20 pods still sends 5 of their calls) and more than
 * a blip: EKS Auth failing one pod's call and then answering the next resets the count.
 */
export const FAILURE_GATE_THRESHOLD = 5;

/**
 * The least time from one probe's start to the next while EKS Auth keeps failing: four a second per node. A
 * storm's misses then share a few probes (on loopback a failed call takes under a millisecond, so without it
 * each miss arriving after a probe failed was the next probe), and a pod waits at most this much longer than
 * the probe takes: under the 1 s timeouts of Java, C++, PHP, Ruby and JS v2, and recovery is seen within it.
 */
export const PROBE_INTERVAL_MS = 250;

/**
 * Calls waiting at once for the next probe; more end at once with the last failure. Each is one pod's miss (one
 * per token in flight), waiting at most a probe's time and an interval: the fair gate's queue bound, which they
 * wait in front of.
 */
export const MAX_WAITING = 1024;

/** What an attempt said about EKS Auth: failing server-side, answering (anything else it sent), or nothing. */
export type UpstreamOutcome = 'failing' | 'answering' | 'neutral';

/** A call through the gate; the same object across its attempts. */
export interface GateCall {
  /** The pod's token: failures count once per distinct token. Held only until the count is decided. */
  readonly token: string;
}

export interface FailureGateMetrics {
  /** 1 while the gate is open. */
  readonly upstreamGateOpen?: { set(value: number): void };
  /** Calls ended with a probe's failure without being sent. */
  readonly upstreamGateHeldFailures?: { inc(): void };
}

export interface FailureGate {
  /**
   * Before an attempt of `call`: undefined when it may be sent now (the gate is closed, or this call is the
   * probe). Otherwise a promise that resolves true once it may be sent (the gate closed, or it became the
   * probe), false when `budgetMs` passes first, and rejects with the failure of the probe it waited for (at
   * once with the last failure when MAX_WAITING calls already wait), or with the signal's reason on abort.
   * Every attempt admitted must be settled.
   */
  admit(call: GateCall, budgetMs: number | undefined, signal: AbortSignal): Promise<boolean> | undefined;
  /** How the attempt admitted for `call` ended; `failure` is what it failed with. */
  settle(call: GateCall, outcome: UpstreamOutcome, failure?: unknown): void;
  /** The last server-side failure seen while open (what a call that gave up waiting ends with). */
  readonly failure: unknown;
  readonly open: boolean;
  /** Calls waiting for the probe's outcome. */
  readonly waiting: number;
}

export interface FailureGateOptions {
  /** Distinct failing tokens that open the gate; 0 disables it (every call is sent). */
  readonly threshold?: number;
  readonly timers?: Timers;
  /** Monotonic ms, for the probe interval; default performance.now. */
  readonly now?: () => number;
  readonly metrics?: FailureGateMetrics | undefined;
}

interface Waiter {
  readonly call: GateCall;
  pass(): void;
  fail(err: unknown): void;
}

const ALWAYS_CLOSED: FailureGate = {
  admit: () => undefined,
  settle() {},
  failure: undefined,
  open: false,
  waiting: 0,
};

export function createFailureGate(options: FailureGateOptions = {}): FailureGate {
  const threshold = options.threshold ?? FAILURE_GATE_THRESHOLD;
  if (!(threshold >= 0) || !Number.isInteger(threshold))
    throw new RangeError('threshold must be an integer >= 0');
  if (threshold === 0) return ALWAYS_CLOSED;
  const timers = options.timers ?? systemTimers;
  const now = options.now ?? (() => performance.now());
  const metrics = options.metrics;
  /** Tokens of the calls failing server-side since the last answer, while closed; at most `threshold`. */
  const failedTokens = new Set<string>();
  const waiters = new Set<Waiter>();
  let open = false;
  let probe: GateCall | undefined;
  /** While open and no probe is in flight: when the next may start, and the timer that starts it. */
  let nextProbeAtMs = 0;
  let probeStartedAtMs = 0;
  let probeTimer: unknown;
  let lastFailure: unknown;

  function setOpen(value: boolean): void {
    open = value;
    failedTokens.clear();
    metrics?.upstreamGateOpen?.set(value ? 1 : 0);
  }

  function close(): void {
    setOpen(false);
    probe = undefined;
    if (probeTimer !== undefined) timers.clearTimeout(probeTimer);
    probeTimer = undefined;
    lastFailure = undefined;
    const released = [...waiters];
    waiters.clear();
    for (const w of released) w.pass();
  }

  /** The first waiter becomes the probe (the interval has passed, or the probe sent nothing). */
  function handOn(): void {
    probe = undefined;
    const next = waiters.values().next();
    if (next.done) return;
    waiters.delete(next.value);
    probe = next.value.call;
    probeStartedAtMs = now();
    next.value.pass();
  }

  /** Calls wait for the next probe: it starts once the interval since the last has passed. */
  function scheduleProbe(): void {
    if (probeTimer !== undefined) return;
    probeTimer = timers.setTimeout(
      () => {
        probeTimer = undefined;
        if (open && probe === undefined) handOn();
      },
      Math.max(0, nextProbeAtMs - now()),
    );
  }

  function failWaiters(err: unknown): void {
    const failed = [...waiters];
    waiters.clear();
    for (const w of failed) {
      metrics?.upstreamGateHeldFailures?.inc();
      w.fail(err);
    }
  }

  function wait(call: GateCall, budgetMs: number | undefined, signal: AbortSignal): Promise<boolean> {
    return new Promise<boolean>((resolve, reject) => {
      let timer: unknown;
      const done = () => {
        if (timer !== undefined) timers.clearTimeout(timer);
        signal.removeEventListener('abort', onAbort);
        waiters.delete(waiter);
      };
      const onAbort = () => {
        done();
        reject(signal.reason);
      };
      const waiter: Waiter = {
        call,
        pass() {
          done();
          resolve(true);
        },
        fail(err) {
          done();
          reject(err);
        },
      };
      if (budgetMs !== undefined) {
        timer = timers.setTimeout(
          () => {
            timer = undefined;
            done();
            resolve(false);
          },
          Math.max(0, budgetMs),
        );
      }
      signal.addEventListener('abort', onAbort, { once: true });
      waiters.add(waiter);
    });
  }

  return {
    admit(call, budgetMs, signal) {
      if (!open) return undefined;
      if (signal.aborted) return Promise.reject(signal.reason);
      if (probe === undefined && waiters.size === 0 && now() >= nextProbeAtMs) {
        probe = call;
        probeStartedAtMs = now();
        return undefined;
      }
      if (waiters.size >= MAX_WAITING) {
        metrics?.upstreamGateHeldFailures?.inc();
        return Promise.reject(lastFailure);
      }
      const waiting = wait(call, budgetMs, signal);
      if (probe === undefined) scheduleProbe();
      return waiting;
    },
    settle(call, outcome, failure) {
      if (outcome === 'answering') {
        if (open) close();
        else failedTokens.clear();
        return;
      }
      const isProbe = open && probe === call;
      if (outcome === 'neutral') {
        if (isProbe) handOn();
        return;
      }
      lastFailure = failure;
      if (!open) {
        failedTokens.add(call.token);
        if (failedTokens.size < threshold) return;
        setOpen(true);
        nextProbeAtMs = now() + PROBE_INTERVAL_MS;
        return;
      }
      // A call sent before the gate opened may fail after: only the probe's failure speaks for the waiters.
      if (isProbe) {
        probe = undefined;
        nextProbeAtMs = probeStartedAtMs + PROBE_INTERVAL_MS;
        failWaiters(failure);
      }
    },
    get failure() {
      return lastFailure;
    },
    get open() {
      return open;
    },
    get waiting() {
      return waiters.size;
    },
  };
}

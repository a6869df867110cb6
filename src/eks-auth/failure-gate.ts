// The upstream failure gate: once EKS Auth has failed server-side (5xx, timeouts, connection errors) for several
// pods in a row, one call goes out as a probe, at most one per PROBE_INTERVAL_MS, and calls that arrive
// meanwhile wait for a probe's outcome instead of each paying for a call of its own (signing, fetch(),
// classifying, logging). A probe's failure ends them with its error, as their own calls would have ended; a
// success, or any answer that is not a server-side failure, closes the gate and sends them at once. A probe
// still out when the interval has passed does not hold the rest: the first waiter goes as the next probe, so a
// black-holed connection (ended only by the attempt timeout, up to --upstream-timeout) cannot keep the node's
// misses from an EKS Auth that answers again.
// A held call (GateCall.held: a pod's miss with nothing cached to fall back on, that a request still waits for)
// is not ended by a probe's failure: it keeps waiting for the next probe until its budget passes, so the pod's request, answered at its patience
// with the retryable RequestTimeoutException, or its SDK's retry, which joins the same call, gets credentials as
// soon as a probe succeeds. Probes stay one at a time (one start per interval), never one per waiter; once the
// gate has been open LONG_OUTAGE_MS the interval grows to SLOW_PROBE_INTERVAL_MS.
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
 * After the gate has been open this long, probes start at most one per SLOW_PROBE_INTERVAL_MS: every call held
 * since the outage began has reached its 10 s budget (REQUEST_UPSTREAM_BUDGET_MS), and a long outage then costs
 * a node one EKS Auth call a second while anything waits, not four.
 */
export const LONG_OUTAGE_MS = 10_000;
export const SLOW_PROBE_INTERVAL_MS = 1000;

/**
 * Calls waiting at once for the next probe; more end at once with the last failure. Each is one pod's miss (one
 * per token in flight), waiting at most a probe's time and an interval, or a held call's budget: the fair gate's
 * queue bound, which they wait in front of. When full, a call from a client (source address) with fewer calls
 * waiting than the one with the most takes the place of that one's oldest: held calls last up to their 10 s
 * budget, and one address minting tokens at its rate limit (100 misses/s) would otherwise hold every place and
 * leave the node's other new pods the failure at once.
 */
export const MAX_WAITING = 1024;

/** What an attempt said about EKS Auth: failing server-side, answering (anything else it sent), or nothing. */
export type UpstreamOutcome = 'failing' | 'answering' | 'neutral';

/** A call through the gate; the same object across its attempts. */
export interface GateCall {
  /** The pod's token: failures count once per distinct token. Held only until the count is decided. */
  readonly token: string;
  /**
   * Whether it keeps waiting through a failed probe (until its budget passes): true for a pod's miss with
   * nothing cached to serve instead while a request still waits for it. Otherwise, or when absent, a probe's
   * failure ends it with that failure.
   */
  readonly held?: () => boolean;
  /** Who it is for (the fair gate's client key, the source address): a full queue makes room fairly. */
  readonly client?: string;
}

export interface FailureGateMetrics {
  /** 1 while the gate is open. */
  readonly upstreamGateOpen?: { set(value: number): void };
  /** Calls ended unsent: with a probe's failure, at their budget while held, or because too many waited (the client with the most waiting gives way first). */
  readonly upstreamGateHeldFailures?: { inc(): void };
}

export interface FailureGate {
  /**
   * Before an attempt of `call`: undefined when it may be sent now (the gate is closed, or this call is a
   * probe). Otherwise a promise that resolves true once it may be sent (the gate closed, or it became the
   * probe), false when `budgetMs` passes first, and rejects with the failure of the probe it waited for (a call
   * that is not held; at once with the last failure when MAX_WAITING calls already wait), or with the signal's
   * reason on abort.
   * Every attempt admitted must be settled.
   */
  admit(call: GateCall, budgetMs: number | undefined, signal: AbortSignal): Promise<boolean> | undefined;
  /** How the attempt admitted for `call` ended; `failure` is what it failed with. */
  settle(call: GateCall, outcome: UpstreamOutcome, failure?: unknown): void;
  /** The last server-side failure seen while open (what a call that gave up waiting ends with). */
  readonly failure: unknown;
  readonly open: boolean;
  /** Calls waiting for a probe's outcome. */
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
  /** The same waiters by client, in arrival order (for making room when MAX_WAITING wait). */
  const byClient = new Map<string, Set<Waiter>>();
  let open = false;
  /** Probes in flight: several only when one has been out longer than the interval. */
  const probes = new Set<GateCall>();
  /** Calls EKS Auth has failed server-side (an attempt's outcome): the next probe is one it has not failed yet. */
  const failedCalls = new WeakSet<GateCall>();
  /** While open: when the next probe may start, and the timer that starts it while calls wait. */
  let nextProbeAtMs = 0;
  /** When the outage the probes speak for began: the gate's opening, or the first probe after a quiet spell. */
  let openedAtMs = 0;
  let lastProbeAtMs = 0;
  let probeTimer: unknown;
  let lastFailure: unknown;

  function setOpen(value: boolean): void {
    open = value;
    failedTokens.clear();
    metrics?.upstreamGateOpen?.set(value ? 1 : 0);
  }

  function cancelProbeTimer(): void {
    if (probeTimer !== undefined) timers.clearTimeout(probeTimer);
    probeTimer = undefined;
  }

  function close(): void {
    setOpen(false);
    probes.clear();
    cancelProbeTimer();
    lastFailure = undefined;
    const released = [...waiters];
    waiters.clear();
    for (const w of released) w.pass();
  }

  function startProbe(call: GateCall): void {
    probes.add(call);
    const at = now();
    // No probe for LONG_OUTAGE_MS (nothing waited: the gate stays open, unprobed, until the next call): this
    // is a new stretch of failures, not a long outage, and starts with the short interval again.
    if (at - lastProbeAtMs >= LONG_OUTAGE_MS) openedAtMs = at;
    lastProbeAtMs = at;
    nextProbeAtMs = at + (at - openedAtMs >= LONG_OUTAGE_MS ? SLOW_PROBE_INTERVAL_MS : PROBE_INTERVAL_MS);
  }

  /**
   * A waiter becomes a probe (the interval has passed, or a probe sent nothing): the first that EKS Auth has
   * not failed yet, else the first. Held calls wait through failures (the first wave's, then each as a probe,
   * waiting again at the back); a call that arrives meanwhile must not wait behind all of them (one interval
   * each, up to its budget) when EKS Auth fails only some pods' calls: it may be one EKS Auth answers.
   */
  function handOn(): void {
    let next: Waiter | undefined;
    for (const w of waiters) {
      if (failedCalls.has(w.call)) continue;
      next = w;
      break;
    }
    next ??= waiters.values().next().value;
    if (next === undefined) return;
    waiters.delete(next);
    startProbe(next.call);
    next.pass();
    scheduleProbe();
  }

  /** While calls wait, the next probe starts once the interval since the last one's start has passed. */
  function scheduleProbe(): void {
    if (probeTimer !== undefined || waiters.size === 0) return;
    probeTimer = timers.setTimeout(
      () => {
        probeTimer = undefined;
        if (open) handOn();
      },
      Math.max(0, nextProbeAtMs - now()),
    );
  }

  /**
   * MAX_WAITING calls wait: ends the oldest waiter of the client with the most waiting (with the last failure,
   * counted) when `client` has at least two fewer, so the places are shared; false when none is ended.
   */
  function makeRoomFor(client: string): boolean {
    const own = byClient.get(client)?.size ?? 0;
    let most: Set<Waiter> | undefined;
    for (const queue of byClient.values()) if (most === undefined || queue.size > most.size) most = queue;
    if (most === undefined || most.size <= own + 1) return false;
    const victim = most.values().next().value!;
    metrics?.upstreamGateHeldFailures?.inc();
    victim.fail(lastFailure);
    return true;
  }

  /** A probe failed: calls that are not held end with its failure; held ones wait for the next probe. */
  function failWaiters(err: unknown): void {
    for (const w of [...waiters]) {
      if (w.call.held?.() === true) continue;
      waiters.delete(w);
      metrics?.upstreamGateHeldFailures?.inc();
      w.fail(err);
    }
    if (waiters.size === 0) cancelProbeTimer();
    else scheduleProbe();
  }

  function wait(call: GateCall, budgetMs: number | undefined, signal: AbortSignal): Promise<boolean> {
    const client = call.client ?? '';
    return new Promise<boolean>((resolve, reject) => {
      let timer: unknown;
      const done = () => {
        if (timer !== undefined) timers.clearTimeout(timer);
        signal.removeEventListener('abort', onAbort);
        waiters.delete(waiter);
        const mine = byClient.get(client);
        mine?.delete(waiter);
        if (mine?.size === 0) byClient.delete(client);
        // Nobody left for the next probe: no timer outlives the waiting.
        if (waiters.size === 0) cancelProbeTimer();
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
            if (open) metrics?.upstreamGateHeldFailures?.inc();
            resolve(false);
          },
          Math.max(0, budgetMs),
        );
      }
      signal.addEventListener('abort', onAbort, { once: true });
      waiters.add(waiter);
      const mine = byClient.get(client);
      if (mine === undefined) byClient.set(client, new Set([waiter]));
      else mine.add(waiter);
    });
  }

  return {
    admit(call, budgetMs, signal) {
      if (!open) return undefined;
      if (signal.aborted) return Promise.reject(signal.reason);
      if (waiters.size === 0 && now() >= nextProbeAtMs) {
        startProbe(call);
        return undefined;
      }
      if (waiters.size >= MAX_WAITING && !makeRoomFor(call.client ?? '')) {
        metrics?.upstreamGateHeldFailures?.inc();
        return Promise.reject(lastFailure);
      }
      const waiting = wait(call, budgetMs, signal);
      scheduleProbe();
      return waiting;
    },
    settle(call, outcome, failure) {
      if (outcome === 'answering') {
        if (open) close();
        else failedTokens.clear();
        return;
      }
      const isProbe = open && probes.delete(call);
      if (outcome === 'neutral') {
        // It sent nothing: unless another probe is out, the next waiter goes now rather than at the interval
        // (while one is, the interval's timer starts the next, so starts stay one per interval).
        if (isProbe && probes.size === 0) handOn();
        return;
      }
      lastFailure = failure;
      failedCalls.add(call);
      if (!open) {
        failedTokens.add(call.token);
        if (failedTokens.size < threshold) return;
        setOpen(true);
        openedAtMs = now();
        lastProbeAtMs = openedAtMs;
        nextProbeAtMs = openedAtMs + PROBE_INTERVAL_MS;
        return;
      }
      // A call sent before the gate opened may fail after: only a probe's failure speaks for the waiters.
      if (isProbe) failWaiters(failure);
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

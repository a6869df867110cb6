// createEksAuthClient: AssumeRoleForPodIdentity over REST-JSON with SigV4, bounded concurrency, retries with
// full-jitter backoff under a caller deadline, and one log line and metric sample per attempt. One attempt is
// attempt.ts, what a failure means for pacing and retrying is retry-decision.ts; the loop here runs them.
import { type MonotonicNow, systemClock, systemMonotonicNow, systemTimers, type Timers } from '../clock.ts';
import { AgentError } from '../errors.ts';
import { waitOrAbort } from '../shared/abortable-wait.ts';
import { createTurnQueue } from '../shared/turn-queue.ts';
import { type AdaptivePacer, createAdaptivePacer } from './adaptive-pacer.ts';
import { type Attempt, createAttempt } from './attempt.ts';
import type { BackoffOptions } from './backoff.ts';
import { EKS_AUTH_CLIENT_DEFAULTS, type EksAuthClientOptions, endpointUrl } from './client-options.ts';
import {
  createFailureGate,
  type FailureGate,
  PROBE_INTERVAL_MS,
  type UpstreamOutcome,
} from './failure-gate.ts';
import { createFairGate, type FairGate, type Release, type Standing } from './fair-gate.ts';
import { createNodeCredentials } from './node-credentials.ts';
import { resolveProxy } from './proxy.ts';
import { decideRetry, paceOnFailure, upstreamOutcome } from './retry-decision.ts';
import { createRetryQuota, type RetryQuota } from './retry-quota.ts';
import { createRequestSigner } from './signer.ts';
import { shuttingDown, tlsOptions } from './transport.ts';
import type { AssumeRoleForPodIdentityResult, AssumeRoleOptions, EksAuthClient } from './types.ts';
import { createUpstreamObserver } from './upstream-observer.ts';

export { EKS_AUTH_CLIENT_DEFAULTS, type EksAuthClientOptions, endpointUrl } from './client-options.ts';

function pacedPastDeadline(): AgentError {
  return new AgentError(
    'ThrottlingException',
    'EKS Auth is throttling this node; its calls are paced and this one would start after its deadline',
  );
}

/** Waits ms on `timers`; rejects with the signal's reason if it aborts first. */
async function timerSleep(timers: Timers, ms: number, signal?: AbortSignal): Promise<void> {
  await waitOrAbort(ms, signal === undefined ? [] : [signal], timers);
  if (signal?.aborted) throw signal.reason;
}

/** What one call's attempt loop runs on, built once per client. */
interface CallParts {
  readonly attempt: Attempt;
  readonly gate: FairGate;
  readonly failureGate: FailureGate;
  readonly pacer: AdaptivePacer;
  readonly retryQuota: RetryQuota;
  readonly observe: ReturnType<typeof createUpstreamObserver>;
  readonly nextTurn: () => Promise<void>;
  readonly sleep: (ms: number, signal?: AbortSignal) => Promise<void>;
  readonly monotonicNow: MonotonicNow;
  readonly maxAttempts: number;
  readonly backoff: BackoffOptions;
}

interface Call {
  /** The pod's token (the failure gate counts failures per distinct token). */
  readonly token: string;
  /** AssumeRoleOptions.hold, and what it is told when it goes on after a failure (onHeld). */
  readonly hold: boolean;
  readonly onHeld: ((failure: unknown) => void) | undefined;
  /**
   * Whether it is held through server-side failures now: `hold`, and a request still waits for it (a call nobody
   * waits for any more ends with the failure; the SDK's retry starts the next).
   */
  readonly held: () => boolean;
  readonly body: string;
  readonly signal: AbortSignal;
  readonly reason: string;
  readonly client: string;
  /** Monotonic: a wall-clock step must neither end the call early nor let it run for an hour. */
  readonly deadline: number | undefined;
  /** Its place in the fair gate's order, kept across attempts, and who waits for it. */
  readonly standing: Standing;
}

/** Waits for the failure gate when it holds the call back; false when the call's budget ran out first. */
async function admitted(parts: CallParts, call: Call, budgetMs: number | undefined): Promise<boolean> {
  const held = parts.failureGate.admit(call, budgetMs, call.signal);
  if (held === undefined) return true;
  // Held before it has failed itself: its pods' requests answered at their patience say what the probes say.
  if (call.hold && parts.failureGate.failure !== undefined) call.onHeld?.(parts.failureGate.failure);
  try {
    return await held;
  } catch (err) {
    // The failure of the probe it waited for (or the last one, when too many wait), shared as the single flight
    // shares a call's failure.
    throw call.signal.aborted ? shuttingDown(err) : err;
  }
}

async function callWithRetries(parts: CallParts, call: Call): Promise<AssumeRoleForPodIdentityResult> {
  const { gate, failureGate, pacer, retryQuota, observe, monotonicNow } = parts;
  const { signal, deadline } = call;
  let spentOnRetries = 0;
  let failure: unknown;
  for (let n = 1; ; n++) {
    // While EKS Auth keeps failing server-side, a probe call at most every 250 ms and the rest wait for its outcome
    // (failure-gate.ts); then a concurrency slot and a pacer token, fairly shared among clients (fair-gate.ts).
    // Paced right before sending: calls queued while EKS Auth still admitted everything must not all go out
    // once it starts throttling.
    if (!(await admitted(parts, call, deadline === undefined ? undefined : deadline - monotonicNow())))
      throw failure ?? failureGate.failure ?? pacedPastDeadline();
    let outcome: UpstreamOutcome = 'neutral';
    try {
      const budgetMs = deadline === undefined ? undefined : deadline - monotonicNow();
      let release: Release | false;
      try {
        release = await gate.acquire(call.client, budgetMs, signal, call.standing);
      } catch (err) {
        throw signal.aborted ? shuttingDown(err) : err;
      }
      if (release === false) throw failure ?? pacedPastDeadline();
      // One call's sending (signing, fetch()) and one answer's working (reading, classifying, logging, answering
      // its waiting pods) per event-loop turn, on one queue: calls set off together (a batch of token checks
      // finishing) or answered together (one batch from the HTTP client) do not run back to back before any
      // timer or cached pod's hit. The answer's turn is taken in transport.ts, once its headers are in.
      await parts.nextTurn();
      const startedAt = monotonicNow();
      const done = observe.start(call.reason, n);
      try {
        const result = await parts.attempt(call.body, signal);
        outcome = 'answering';
        done.success(result.requestId, monotonicNow() - startedAt);
        retryQuota.release(spentOnRetries);
        pacer.onSuccess();
        return result;
      } catch (err) {
        failure = err;
        outcome = signal.aborted ? 'neutral' : upstreamOutcome(err);
        done.failure(err, monotonicNow() - startedAt);
        paceOnFailure(pacer, err);
      } finally {
        release();
      }
    } finally {
      failureGate.settle(call, outcome, failure);
    }
    // A held call (a pod's miss with nothing cached to serve instead, that a request still waits for) that EKS
    // Auth failed server-side does not end with the failure while its budget lasts. With the failure gate open it
    // waits there for the next probe (sending nothing itself: no backoff, no retry quota). With it closed (fewer
    // pods failing than its threshold so far) it retries as any call; when the retry quota (not its attempts)
    // cut its retries, it looks again one probe interval later: if the gate opened meanwhile (an outage's first
    // wave, whose calls all fail at once, after the failures that drained the quota) it waits there; if not, or
    // once its attempts are spent (EKS Auth fails this pod alone, or only a few), it ends with its failure, as
    // before: held without the gate's shared probes it could only retry on its own, several times the calls.
    const held = outcome === 'failing' && deadline !== undefined && call.held();
    if (held) call.onHeld?.(failure);
    if (held && failureGate.open) continue;
    const retry = decideRetry(failure, {
      attempt: n,
      maxAttempts: parts.maxAttempts,
      deadline,
      now: monotonicNow(),
      pacer,
      retryQuota,
      backoff: parts.backoff,
    });
    const lookAgain =
      held &&
      n < parts.maxAttempts &&
      deadline !== undefined &&
      monotonicNow() + PROBE_INTERVAL_MS < deadline;
    if (retry === undefined && !lookAgain) throw failure;
    spentOnRetries += retry?.cost ?? 0;
    try {
      await parts.sleep(retry?.delayMs ?? PROBE_INTERVAL_MS, signal);
    } catch (err) {
      throw shuttingDown(err);
    }
    if (retry === undefined && !failureGate.open) throw failure;
  }
}

export function createEksAuthClient(options: EksAuthClientOptions): EksAuthClient {
  const d = EKS_AUTH_CLIENT_DEFAULTS;
  if (!options.region) throw new TypeError('EKS Auth client needs a region');
  if (!options.clusterName || options.clusterName.length > 100) {
    throw new TypeError('EKS Auth client needs a cluster name of 1 to 100 characters');
  }
  const url = endpointUrl(options.region, options.clusterName, options.endpoint, options.useFips);
  const maxTokenChars = options.maxTokenChars ?? d.maxTokenChars;
  const clock = options.clock ?? systemClock;
  const timers = options.timers ?? systemTimers;
  const monotonicNow = options.monotonicNow ?? systemMonotonicNow;
  const credentials = createNodeCredentials({
    credentials: options.credentials,
    rotateCredentials: options.rotateCredentials,
    credentialsFile: options.credentialsFile,
    clock,
    logger: options.logger,
  });
  const pacer = createAdaptivePacer(monotonicNow);
  const proxy = resolveProxy(url, options.proxyEnv ?? process.env);
  // Sending and answer work run one per event-loop turn (turn-queue.ts); with injected timers (a simulator's
  // virtual time) a turn is a zero-delay timer on them, so the simulation stays in its own time.
  const nextTurn = createTurnQueue(
    options.timers === undefined ? undefined : (run) => options.timers?.setTimeout(run, 0),
    monotonicNow,
  );
  const parts: CallParts = {
    attempt: createAttempt({
      url,
      sign: createRequestSigner({ region: options.region, credentials }),
      clock,
      proxy,
      tls: tlsOptions(url, proxy, options.caPem),
      requestTimeoutMs: options.requestTimeoutMs ?? d.requestTimeoutMs,
      maxResponseBytes: options.maxResponseBytes ?? d.maxResponseBytes,
      fetch: options.fetch,
      timers,
      nextTurn,
    }),
    gate: createFairGate({
      maxConcurrency: options.maxConcurrency ?? d.maxConcurrency,
      maxQueue: options.maxQueue ?? d.maxQueue,
      pacer,
      timers,
      now: monotonicNow,
    }),
    failureGate: createFailureGate({
      threshold: options.failureGateThreshold ?? d.failureGateThreshold,
      timers,
      now: monotonicNow,
      metrics: options.metrics,
    }),
    pacer,
    retryQuota: options.retryQuota ?? createRetryQuota(undefined, monotonicNow),
    observe: createUpstreamObserver({ metrics: options.metrics, logger: options.logger }),
    nextTurn,
    sleep: options.sleep ?? ((ms: number, signal?: AbortSignal) => timerSleep(timers, ms, signal)),
    monotonicNow,
    maxAttempts: Math.max(1, options.maxAttempts ?? d.maxAttempts),
    backoff: {
      baseBackoffMs: options.baseBackoffMs ?? d.baseBackoffMs,
      maxBackoffMs: options.maxBackoffMs ?? d.maxBackoffMs,
      random: options.random ?? Math.random,
    },
  };
  const shutdown = new AbortController();

  return {
    async assumeRoleForPodIdentity(token, callOptions: AssumeRoleOptions = {}) {
      if (shutdown.signal.aborted) throw shuttingDown(undefined);
      if (typeof token !== 'string' || token === '' || token.length > maxTokenChars) {
        throw new AgentError(
          'InvalidToken',
          `token must be a non-empty string of at most ${maxTokenChars} characters`,
        );
      }
      return callWithRetries(parts, {
        token,
        hold: callOptions.hold === true,
        held:
          callOptions.hold === true
            ? () => callOptions.demand === undefined || callOptions.demand.waiting > 0
            : () => false,
        onHeld: callOptions.onHeld,
        body: JSON.stringify({ token }),
        signal: callOptions.signal ? AbortSignal.any([callOptions.signal, shutdown.signal]) : shutdown.signal,
        reason: callOptions.reason ?? 'request',
        client: callOptions.client ?? '',
        deadline: callOptions.budgetMs === undefined ? undefined : monotonicNow() + callOptions.budgetMs,
        standing: { demand: callOptions.demand },
      });
    },
    close() {
      shutdown.abort(new Error('EKS Auth client closed'));
    },
  };
}

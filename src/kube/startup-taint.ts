// --startup-taint: once the agent serves (every bind host that could be bound answers its own self-check),
// remove that one taint from the agent's own node, so pods are scheduled there only when their SDKs will find
// credentials (public agent #159). Once per start; never adds a taint, never touches any other taint.
// Transient API failures are retried with backoff; a conflict (409) re-reads the node at once.
// The run's steps (the self-check wait, one read-and-patch, the log lines) are startup-taint-steps.ts.
import { fullJitterBackoffMs } from '../eks-auth/backoff.ts';
import type { Logger } from '../observability/logger.ts';
import type { AgentMetrics } from '../observability/metrics.ts';
import { waitOrAbort } from '../shared/abortable-wait.ts';
import { type KubeApiClient, KubeApiError } from './api-client.ts';
import { describeSelector, type TaintSelector } from './node-taints.ts';
import { attemptRemoval, logGivingUp, logOutcome, waitForSelfCheck } from './startup-taint-steps.ts';

export const STARTUP_TAINT_STATES = ['waiting', 'removing', 'removed', 'absent', 'failed'] as const;
export type StartupTaintState = (typeof STARTUP_TAINT_STATES)[number];

export const STARTUP_TAINT_DEFAULTS = {
  /**
   * API attempts (a read and a patch each) before giving up on errors a retry can fix. Unbounded: a node
   * whose taint stays is lost capacity, and a try every 30 s costs the API server nothing; errors a retry
   * cannot fix (403, 404, 422, no token) stop at once.
   */
  maxAttempts: Number.POSITIVE_INFINITY,
  baseBackoffMs: 500,
  maxBackoffMs: 30_000,
  /** How often a failing self-check is repeated before the taint may go. */
  selfCheckIntervalMs: 1_000,
} as const;

export interface StartupTaintStatus {
  readonly node: string;
  readonly taint: string;
  readonly state: StartupTaintState;
  /** API attempts made so far. */
  readonly attempts: number;
  /** The last failure, when there was one (status and reason from the API server). */
  readonly lastError?: { status: number; reason: string; message: string };
}

export interface StartupTaintOptions {
  client: KubeApiClient;
  nodeName: string;
  taint: TaintSelector;
  /** True once every bound listener answers; the taint stays until it is. */
  selfCheck: () => Promise<boolean>;
  logger: Logger;
  metrics: Pick<AgentMetrics, 'startupTaint'>;
  random?: () => number;
  /** Waits ms or until the signal aborts; tests inject one that records and returns at once. */
  sleep?: (ms: number, signal: AbortSignal) => Promise<void>;
  maxAttempts?: number;
  baseBackoffMs?: number;
  maxBackoffMs?: number;
  selfCheckIntervalMs?: number;
}

export interface StartupTaintRemover {
  /** Starts the one run; later calls return the same promise. Never rejects. */
  start(): Promise<StartupTaintStatus>;
  status(): StartupTaintStatus;
  /** Cancels waits and an API call in flight (agent shutdown). */
  stop(): void;
}

/**
 * Whether a retry can help: no answer or a garbled one, 401 (the re-read token may be newer), 409 (re-read the
 * node), 429 and 5xx. 400/403/404/405/415/422 stay wrong until someone changes RBAC, NODE_NAME or our request;
 * an unreadable token file until the pod spec mounts it.
 */
export function isRetryable(err: KubeApiError): boolean {
  if (err.failure === 'unreachable' || err.failure === 'timeout' || err.failure === 'malformed') return true;
  const status = err.failure === 'http' ? (err.status ?? 0) : 0;
  return status === 401 || status === 409 || status === 429 || status >= 500;
}

/** What to tell an operator when the API server refuses for good. */
function hintFor(err: KubeApiError, nodeName: string): string | undefined {
  if (err.status === 403) return 'grant get and patch on nodes to the agent (k8s/overlays/startup-taint)';
  if (err.status === 404) return `no node named ${nodeName}: set NODE_NAME from spec.nodeName (downward API)`;
  if (err.status === 401) return 'the API server does not accept the service-account token';
  if (err.failure === 'credentials') return 'mount the service-account token (automountServiceAccountToken)';
  return undefined;
}

function describeError(err: KubeApiError): NonNullable<StartupTaintStatus['lastError']> {
  return { status: err.status ?? 0, reason: err.reason ?? err.failure, message: err.detail ?? err.message };
}

export function createStartupTaintRemover(options: StartupTaintOptions): StartupTaintRemover {
  const { client, nodeName, taint, logger, metrics } = options;
  const settings = { ...STARTUP_TAINT_DEFAULTS, ...definedOnly(options) };
  const random = options.random ?? Math.random;
  const sleep = options.sleep ?? ((ms: number, signal: AbortSignal) => waitOrAbort(ms, [signal]));
  const controller = new AbortController();
  const taintText = describeSelector(taint);
  const log = logger.child({ node: nodeName, taint: taintText });
  let state: StartupTaintState = 'waiting';
  let attempts = 0;
  let lastError: StartupTaintStatus['lastError'];
  let run: Promise<StartupTaintStatus> | undefined;

  const setState = (next: StartupTaintState) => {
    state = next;
    for (const s of STARTUP_TAINT_STATES) metrics.startupTaint.labels(s).set(s === next ? 1 : 0);
  };
  const status = (): StartupTaintStatus => ({
    node: nodeName,
    taint: taintText,
    state,
    attempts,
    ...(lastError ? { lastError } : {}),
  });
  setState('waiting');

  async function execute(): Promise<StartupTaintStatus> {
    const { selfCheckIntervalMs } = settings;
    if (!(await waitForSelfCheck(options.selfCheck, sleep, selfCheckIntervalMs, controller.signal))) {
      return status();
    }
    setState('removing');
    while (!controller.signal.aborted) {
      attempts += 1;
      try {
        const outcome = await attemptRemoval(client, nodeName, taint, controller.signal);
        setState(outcome === 'kept' ? 'failed' : outcome);
        logOutcome(log, outcome, attempts);
        return status();
      } catch (err) {
        if (!(err instanceof KubeApiError)) {
          // A bug of ours, not the API server's answer: stop, say so, keep serving.
          setState('failed');
          log.error(
            { attempts, err: String(err).slice(0, 256) },
            'startup taint not removed: internal error',
          );
          return status();
        }
        const e = err;
        if (controller.signal.aborted) break;
        lastError = describeError(e);
        const retryable = isRetryable(e);
        if (!retryable || attempts >= settings.maxAttempts) {
          setState('failed');
          logGivingUp(log, { attempts, ...lastError, hint: hintFor(e, nodeName) }, retryable);
          return status();
        }
        // A conflict means our copy is stale: read again at once. Otherwise the server's Retry-After, or backoff.
        const delayMs =
          e.status === 409 ? 0 : (e.retryAfterMs ?? fullJitterBackoffMs(attempts, { ...settings, random }));
        log.warn({ attempts, ...lastError, retryInMs: delayMs }, 'startup taint removal failed; retrying');
        if (delayMs > 0) await sleep(delayMs, controller.signal);
      }
    }
    return status();
  }

  return {
    start() {
      run ??= execute();
      return run;
    },
    status,
    stop() {
      controller.abort();
    },
  };
}

function definedOnly(options: StartupTaintOptions) {
  const out: Partial<Record<keyof typeof STARTUP_TAINT_DEFAULTS, number>> = {};
  for (const k of Object.keys(STARTUP_TAINT_DEFAULTS) as (keyof typeof STARTUP_TAINT_DEFAULTS)[]) {
    if (options[k] !== undefined) out[k] = options[k];
  }
  return out;
}

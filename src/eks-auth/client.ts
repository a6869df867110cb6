// createEksAuthClient: AssumeRoleForPodIdentity over REST-JSON with SigV4, bounded concurrency, retries with
// full-jitter backoff under a caller deadline, and one log line and metric sample per attempt.
import {
  type Clock,
  type MonotonicNow,
  systemClock,
  systemMonotonicNow,
  systemTimers,
  type Timers,
} from '../clock.ts';
import { AgentError } from '../errors.ts';
import type { Logger } from '../observability/logger.ts';
import { waitOrAbort } from '../shared/abortable-wait.ts';
import { MAX_TOKEN_LENGTH } from '../shared/token-bound.ts';
import { createTurnQueue } from '../shared/turn-queue.ts';
import { VERSION } from '../version.ts';
import { createAdaptivePacer } from './adaptive-pacer.ts';
import { fullJitterBackoffMs } from './backoff.ts';
import { classifyErrorResponse, upstreamRequestId } from './classify-error.ts';
import { EksAuthError } from './errors.ts';
import { createFairGate, type Release } from './fair-gate.ts';
import { type CredentialsProvider, createNodeCredentials } from './node-credentials.ts';
import { parseAssumeRoleResponse } from './parse-response.ts';
import { defaultEksAuthEndpoint } from './partitions.ts';
import { type ProxyEnv, resolveProxy } from './proxy.ts';
import { createRetryQuota, type RetryQuota } from './retry-quota.ts';
import { createRequestSigner } from './signer.ts';
import { bodyBoundBytes, type FetchLike, sendAttempt, shuttingDown } from './transport.ts';
import type { AssumeRoleForPodIdentityResult, AssumeRoleOptions, EksAuthClient } from './types.ts';
import { createUpstreamObserver, type UpstreamMetrics } from './upstream-observer.ts';

export interface EksAuthClientOptions {
  readonly region: string;
  readonly clusterName: string;
  /** Default: resolved from the region's partition (partitions.ts). */
  readonly endpoint?: string | undefined;
  /** AWS_USE_FIPS_ENDPOINT: the partition's FIPS endpoint. */
  readonly useFips?: boolean;
  /** PEM certificates trusted for the EKS Auth TLS connection instead of the system's (AWS_CA_BUNDLE). */
  readonly caPem?: string | undefined;
  /** Node credentials; default the SDK node chain, or the shared credentials file with rotateCredentials. */
  readonly credentials?: CredentialsProvider;
  readonly rotateCredentials?: boolean;
  /** Shared credentials file re-read with rotateCredentials; default AWS_SHARED_CREDENTIALS_FILE. */
  readonly credentialsFile?: string | undefined;
  /** One attempt, connect included (see transport.ts for why there is no separate connect timeout). */
  readonly requestTimeoutMs?: number;
  readonly maxAttempts?: number;
  readonly baseBackoffMs?: number;
  readonly maxBackoffMs?: number;
  /** Attempts in flight at once; more wait in a queue of maxQueue, beyond it: Overloaded. */
  readonly maxConcurrency?: number;
  readonly maxQueue?: number;
  readonly maxResponseBytes?: number;
  readonly maxTokenChars?: number;
  readonly metrics?: UpstreamMetrics;
  readonly logger?: Logger;
  /** Wall time: request signing and node-credential expiry. */
  readonly clock?: Clock;
  /** Uniform in [0, 1), for backoff jitter. */
  readonly random?: () => number;
  /** Waits between attempts; injectable so tests never really wait. Default: a wait on `timers`. */
  readonly sleep?: (ms: number, signal?: AbortSignal) => Promise<void>;
  /** Timers for sleeps and per-attempt deadlines, the fetch, and the monotonic time pacing and budgets read:
   * the runtime's unless a simulator runs the client in virtual time (bench/cluster-sim). */
  readonly timers?: Timers;
  readonly fetch?: FetchLike;
  readonly monotonicNow?: MonotonicNow;
  /** Shared retry budget; default a fresh one per client (see retry-quota.ts). */
  readonly retryQuota?: RetryQuota;
  /** Where HTTPS_PROXY/HTTP_PROXY/NO_PROXY are read from; default process.env. */
  readonly proxyEnv?: ProxyEnv;
}

export const EKS_AUTH_CLIENT_DEFAULTS = {
  requestTimeoutMs: 4000,
  maxAttempts: 3,
  baseBackoffMs: 100,
  maxBackoffMs: 2000,
  // A node's whole pod set may start at once (kubelet's default max-pods is 110), each miss its own call: a
  // smaller bound queues pods behind the agent's own slots, past a 1 s client's only attempt while EKS Auth
  // takes 600 ms. The pacer, not this bound, keeps the rate to what EKS Auth admits.
  maxConcurrency: 128,
  maxQueue: 1024,
  maxResponseBytes: 64 * 1024,
  maxTokenChars: MAX_TOKEN_LENGTH,
} as const;

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

export function endpointUrl(region: string, clusterName: string, endpoint?: string, useFips = false): URL {
  // FIPS where the partition has none: readiness reports it (config-checks.ts); the name below never resolves.
  const base =
    endpoint ?? defaultEksAuthEndpoint(region, { useFips }) ?? `https://eks-auth-fips.${region}.invalid`;
  let url: URL;
  try {
    url = new URL(base);
  } catch {
    throw new TypeError(`EKS Auth endpoint is not a URL: ${JSON.stringify(base)}`);
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:') {
    throw new TypeError(`EKS Auth endpoint must be http(s): ${JSON.stringify(base)}`);
  }
  const prefix = url.pathname.replace(/\/+$/, '');
  url.pathname = `${prefix}/clusters/${encodeURIComponent(clusterName)}/assume-role-for-pod-identity`;
  url.search = '';
  return url;
}

export function createEksAuthClient(options: EksAuthClientOptions): EksAuthClient {
  const d = EKS_AUTH_CLIENT_DEFAULTS;
  if (!options.region) throw new TypeError('EKS Auth client needs a region');
  if (!options.clusterName || options.clusterName.length > 100) {
    throw new TypeError('EKS Auth client needs a cluster name of 1 to 100 characters');
  }
  const url = endpointUrl(options.region, options.clusterName, options.endpoint, options.useFips);
  const tls = options.caPem === undefined ? undefined : { ca: options.caPem };
  const requestTimeoutMs = options.requestTimeoutMs ?? d.requestTimeoutMs;
  const maxAttempts = Math.max(1, options.maxAttempts ?? d.maxAttempts);
  const backoff = {
    baseBackoffMs: options.baseBackoffMs ?? d.baseBackoffMs,
    maxBackoffMs: options.maxBackoffMs ?? d.maxBackoffMs,
    random: options.random ?? Math.random,
  };
  const maxResponseBytes = options.maxResponseBytes ?? d.maxResponseBytes;
  const maxTokenChars = options.maxTokenChars ?? d.maxTokenChars;
  const clock = options.clock ?? systemClock;
  const timers = options.timers ?? systemTimers;
  const sleep = options.sleep ?? ((ms: number, signal?: AbortSignal) => timerSleep(timers, ms, signal));
  const monotonicNow = options.monotonicNow ?? systemMonotonicNow;
  const fetchImpl = options.fetch;
  const proxy = resolveProxy(url, options.proxyEnv ?? process.env);
  const credentials = createNodeCredentials({
    credentials: options.credentials,
    rotateCredentials: options.rotateCredentials,
    credentialsFile: options.credentialsFile,
    clock,
    logger: options.logger,
  });
  const sign = createRequestSigner({ region: options.region, credentials });
  const observe = createUpstreamObserver({ metrics: options.metrics, logger: options.logger });
  const retryQuota = options.retryQuota ?? createRetryQuota(undefined, monotonicNow);
  const pacer = createAdaptivePacer(monotonicNow);
  const gate = createFairGate({
    maxConcurrency: options.maxConcurrency ?? d.maxConcurrency,
    maxQueue: options.maxQueue ?? d.maxQueue,
    pacer,
    timers,
  });
  // A failure's work runs one per event-loop turn (turn-queue.ts); with injected timers (a simulator's virtual
  // time) a turn is a zero-delay timer on them, so the simulation stays in its own time.
  const nextTurn = createTurnQueue(
    options.timers === undefined ? undefined : (run) => options.timers?.setTimeout(run, 0),
  );
  const shutdown = new AbortController();
  const baseHeaders = {
    'content-type': 'application/json',
    'user-agent': `eks-pod-identity-agent/${VERSION}`,
  };

  async function attempt(body: string, signal: AbortSignal): Promise<AssumeRoleForPodIdentityResult> {
    const signed = await sign({ method: 'POST', url, headers: baseHeaders, body }, new Date(clock.now()));
    const res = await sendAttempt({
      url,
      headers: signed,
      body,
      proxy,
      requestTimeoutMs,
      maxResponseBytes,
      signal,
      fetch: fetchImpl,
      timers,
      tls,
    });
    const requestId = upstreamRequestId(res.headers);
    if (res.status < 200 || res.status > 299)
      throw classifyErrorResponse(
        res.status,
        res.headers,
        res.bodyText,
        res.truncated ? bodyBoundBytes(res.status, maxResponseBytes) : undefined,
      );
    if (res.truncated) {
      throw new EksAuthError(
        'UpstreamMalformedResponse',
        `EKS Auth response larger than ${maxResponseBytes} bytes`,
        {
          kind: 'malformed',
          requestId,
          upstreamStatus: res.status,
        },
      );
    }
    return parseAssumeRoleResponse(res.bodyText, requestId);
  }

  return {
    async assumeRoleForPodIdentity(token, callOptions: AssumeRoleOptions = {}) {
      if (shutdown.signal.aborted) throw shuttingDown(undefined);
      if (typeof token !== 'string' || token === '' || token.length > maxTokenChars) {
        throw new AgentError(
          'InvalidToken',
          `token must be a non-empty string of at most ${maxTokenChars} characters`,
        );
      }
      const signal = callOptions.signal
        ? AbortSignal.any([callOptions.signal, shutdown.signal])
        : shutdown.signal;
      const reason = callOptions.reason ?? 'request';
      const body = JSON.stringify({ token });
      let spentOnRetries = 0;
      let failure: unknown;
      // Monotonic: a wall-clock step must neither end the call early nor let it run for an hour.
      const deadline = callOptions.budgetMs === undefined ? undefined : monotonicNow() + callOptions.budgetMs;
      const client = callOptions.client ?? '';
      for (let n = 1; ; n++) {
        // A concurrency slot and a pacer token, fairly shared among clients (fair-gate.ts). Paced right
        // before sending: calls queued while EKS Auth still admitted everything must not all go out once it
        // starts throttling.
        const budgetMs = deadline === undefined ? undefined : deadline - monotonicNow();
        let release: Release | false;
        try {
          release = await gate.acquire(client, budgetMs, signal);
        } catch (err) {
          throw signal.aborted ? shuttingDown(err) : err;
        }
        if (release === false) throw failure ?? pacedPastDeadline();
        const startedAt = monotonicNow();
        const done = observe.start(reason, n);
        try {
          const result = await attempt(body, signal);
          done.success(result.requestId, monotonicNow() - startedAt);
          retryQuota.release(spentOnRetries);
          pacer.onSuccess();
          return result;
        } catch (err) {
          failure = err;
          // Calls failing together (one batch of answers) go on one per turn, so cached pods' hits and
          // timers are served between them.
          await nextTurn();
          done.failure(err, monotonicNow() - startedAt);
          if (err instanceof EksAuthError) {
            if (err.code === 'ThrottlingException') pacer.onThrottle();
            // EKS Auth admitted and answered it (a pod's bad token, no association): it counts towards the
            // rate EKS Auth admits, or a flood of junk tokens would make the pacer underrate it.
            else if (err.kind === 'modelled' && err.upstreamStatus !== undefined && err.upstreamStatus < 500)
              pacer.onSuccess();
          }
        } finally {
          release();
        }
        if (!(failure instanceof EksAuthError) || !failure.retryable) throw failure;
        // While paced, a throttled call's retry waits for its slot like any call: it cannot storm, so it
        // costs nothing from the quota that guards against unpaced retries, and with a budget it may go on
        // until the budget ends (a pod-start storm is a queue drained at the upstream's pace, and a pod
        // whose turn came during a throttled second should not lose its place for good).
        const pacedThrottle =
          failure.code === 'ThrottlingException' && pacer.rate !== Number.POSITIVE_INFINITY;
        if (n >= maxAttempts && !(pacedThrottle && deadline !== undefined)) throw failure;
        const delayMs = fullJitterBackoffMs(Math.min(n, maxAttempts), backoff);
        if (deadline !== undefined && monotonicNow() + delayMs >= deadline) throw failure;
        const cost = pacedThrottle ? 0 : retryQuota.tryAcquire(failure.code);
        if (cost === false) throw failure;
        spentOnRetries += cost;
        try {
          await sleep(delayMs, signal);
        } catch (err) {
          throw shuttingDown(err);
        }
      }
    },
    close() {
      shutdown.abort(new Error('EKS Auth client closed'));
    },
  };
}

// The EKS Auth client's options, their defaults, and the endpoint URL they name.
import type { Clock, MonotonicNow, Timers } from '../clock.ts';
import type { Logger } from '../observability/logger.ts';
import { MAX_TOKEN_LENGTH } from '../shared/token-bound.ts';
import { FAILURE_GATE_THRESHOLD, type FailureGateMetrics } from './failure-gate.ts';
import type { CredentialsProvider } from './node-credentials.ts';
import { defaultEksAuthEndpoint } from './partitions.ts';
import type { ProxyEnv } from './proxy.ts';
import type { RetryQuota } from './retry-quota.ts';
import type { FetchLike } from './transport.ts';
import type { UpstreamMetrics } from './upstream-observer.ts';

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
  /** Distinct pods' calls failing server-side in a row that open the failure gate (failure-gate.ts); 0: never. */
  readonly failureGateThreshold?: number;
  readonly metrics?: UpstreamMetrics & FailureGateMetrics;
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
  failureGateThreshold: FAILURE_GATE_THRESHOLD,
} as const;

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

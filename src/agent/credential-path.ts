// The credentials path of one agent without its listeners: EKS Auth client (or the not-configured stand-in),
// cache, credential service, refresher and the request handler, built from a Config. startAgent serves it;
// bench/cluster-sim drives it on virtual time.
import type { Clock, MonotonicNow, Timers } from '../clock.ts';
import { type Config, missingSettings } from '../config/server-config.ts';
import { type CredentialCache, createCredentialCache } from '../credentials/cache.ts';
import { rekeyClaimsEntries } from '../credentials/claims-migration.ts';
import { type CredentialService, createCredentialService } from '../credentials/credential-service.ts';
import { createRefresher, type Refresher } from '../credentials/refresher.ts';
import { readCaBundle } from '../eks-auth/ca-bundle.ts';
import { createEksAuthClient } from '../eks-auth/client.ts';
import { type CredentialsProvider, createNodeCredentials } from '../eks-auth/node-credentials.ts';
import type { FetchLike } from '../eks-auth/transport.ts';
import type { EksAuthClient } from '../eks-auth/types.ts';
import { AgentError } from '../errors.ts';
import { type CredentialsHandler, createCredentialsHandler } from '../http/credentials-handler.ts';
import { createHostCheck } from '../http/host-check.ts';
import { createRateLimiter } from '../http/rate-limiter.ts';
import type { Logger } from '../observability/logger.ts';
import type { Metrics } from '../observability/metrics.ts';
import { createTokenChecker } from '../token/token-checker.ts';
import type { TokenVerifier } from '../token/types.ts';

export interface CredentialPath {
  readonly client: EksAuthClient;
  /** The node credentials the client signs with; undefined when a test injected its own client. */
  readonly nodeCredentials: CredentialsProvider | undefined;
  readonly cache: CredentialCache;
  readonly service: CredentialService;
  readonly refresher: Refresher;
  readonly handler: CredentialsHandler;
  readonly cachingEnabled: boolean;
}

export interface CredentialPathDeps {
  clock: Clock;
  logger: Logger;
  metrics: Metrics;
  /** An EKS Auth client instead of the one built from the Config (tests). */
  client?: EksAuthClient;
  verifier?: TokenVerifier;
  random?: () => number;
  /** Refresher scan interval (tests use a long one and call tick themselves). */
  refreshIntervalMs?: number;
  /** Static node credentials instead of the SDK default chain (local mode, tests). */
  nodeCredentials?: { accessKeyId: string; secretAccessKey: string; sessionToken?: string };
  /** Virtual time for a simulator (timers, EKS Auth fetch, monotonic time); the runtime's by default. */
  timers?: Timers;
  fetch?: FetchLike;
  monotonicNow?: MonotonicNow;
}

/** Builds client, cache, credential service, refresher and request handler from a Config, as the agent runs them. */
export function createCredentialPath(
  config: Config,
  deps: CredentialPathDeps,
  isDraining: () => boolean,
): CredentialPath {
  const { clock, logger, metrics, verifier } = deps;
  const { client, nodeCredentials } = buildEksAuthClient(config, deps);
  const cachingEnabled = config.maxCacheSize > 0 && config.maxCredentialRetentionMs > 0;
  const cache = createCredentialCache({
    maxEntries: cachingEnabled ? config.maxCacheSize : 0,
    keyByIdentity: verifier !== undefined,
    metrics,
  });
  const checker = createTokenChecker({
    mode: config.verifyTokens,
    verifier,
    clock,
    onFirstVerified: verifier && (() => rekeyClaimsEntries(cache, verifier, logger)),
  });
  const service = createCredentialService({
    client,
    cache,
    checker,
    retentionMs: config.maxCredentialRetentionMs,
    clientPatienceMs: config.clientPatienceMs,
    clock,
    timers: deps.timers,
    metrics,
    logger,
    random: deps.random,
  });
  const refresher = createRefresher({
    cache,
    service,
    maxServiceQps: config.maxServiceQps,
    clock,
    metrics,
    logger,
    intervalMs: deps.refreshIntervalMs,
  });
  const handler = createCredentialsHandler({
    service,
    hostCheck: createHostCheck(config.bindHosts, config.port),
    metrics,
    logger,
    clock,
    timers: deps.timers,
    rateLimiter: createRateLimiter({
      perClientRps: config.rateLimitPerClient,
      globalRps: config.rateLimitGlobal,
    }),
    audit: config.auditLog,
    isDraining,
  });
  return { client, nodeCredentials, cache, service, refresher, handler, cachingEnabled };
}

/** The EKS Auth client (the not-configured stand-in while settings are missing) and the node credentials. */
function buildEksAuthClient(config: Config, deps: CredentialPathDeps) {
  const { clock, logger, metrics } = deps;
  const notConfigured = notConfiguredMessage(config);
  const injected =
    deps.client ?? (notConfigured !== undefined ? createUnconfiguredClient(notConfigured) : undefined);
  // One provider for the client and for readiness (which reports credentials that cannot be resolved).
  const nodeCredentials =
    injected === undefined || deps.nodeCredentials !== undefined
      ? createNodeCredentials({
          credentials: deps.nodeCredentials ? async () => deps.nodeCredentials! : undefined,
          rotateCredentials: config.rotateCredentials,
          clock,
          logger,
        })
      : undefined;
  const client =
    injected ??
    createEksAuthClient({
      region: config.region,
      clusterName: config.clusterName,
      endpoint: config.endpoint,
      useFips: config.useFipsEndpoint,
      caPem: config.caBundle === undefined ? undefined : readCaBundle(config.caBundle),
      rotateCredentials: config.rotateCredentials,
      credentials: nodeCredentials,
      requestTimeoutMs: config.upstreamTimeoutMs,
      maxConcurrency: config.maxUpstreamConcurrency,
      failureGateThreshold: config.upstreamFailureGate,
      metrics,
      logger,
      clock,
      timers: deps.timers,
      fetch: deps.fetch,
      monotonicNow: deps.monotonicNow,
      random: deps.random,
    });
  return { client, nodeCredentials };
}

/** The one line an unedited install shows in its log, its /readyz body and every credentials answer. */
export function notConfiguredMessage(config: Config): string | undefined {
  const missing = missingSettings(config);
  if (missing.length === 0) return undefined;
  return (
    `not configured: ${missing.join(' and ')} ${missing.length > 1 ? 'are' : 'is'} empty; set ` +
    `${missing.length > 1 ? 'them' : 'it'} in ConfigMap kube-system/eks-pod-identity-agent-config ` +
    '(or in your kustomize overlay) and restart the pods'
  );
}

/** Stands in for EKS Auth until the agent is configured: every miss answers NotConfigured, nothing is sent. */
function createUnconfiguredClient(message: string): EksAuthClient {
  return {
    assumeRoleForPodIdentity: () => Promise.reject(new AgentError('NotConfigured', message)),
    close() {},
  };
}

// Builds the agent's parts from a Config and runs them: start, readiness, SIGTERM drain, stop.
import { createClosers, stopSignal } from '../cli/shutdown.ts';
import { type Clock, type MonotonicNow, systemClock, type Timers } from '../clock.ts';
import { type Config, missingSettings } from '../config/server-config.ts';
import { type CredentialCache, createCredentialCache } from '../credentials/cache.ts';
import { rekeyClaimsEntries } from '../credentials/claims-migration.ts';
import { type CredentialService, createCredentialService } from '../credentials/credential-service.ts';
import { createRefresher, type Refresher } from '../credentials/refresher.ts';
import { readCaBundle } from '../eks-auth/ca-bundle.ts';
import { createEksAuthClient } from '../eks-auth/client.ts';
import { type CredentialsProvider, createNodeCredentials } from '../eks-auth/node-credentials.ts';
import { defaultEksAuthEndpoint } from '../eks-auth/partitions.ts';
import type { FetchLike } from '../eks-auth/transport.ts';
import type { EksAuthClient } from '../eks-auth/types.ts';
import { AgentError } from '../errors.ts';
import {
  createConnectionGuard,
  MAX_REQUEST_HEADER_BYTES,
  runtimeHeaderLimitBytes,
} from '../http/connection-guard.ts';
import { type CredentialsHandler, createCredentialsHandler } from '../http/credentials-handler.ts';
import { createDataApp } from '../http/data-app.ts';
import { createHostCheck } from '../http/host-check.ts';
import { type DataListeners, type ListenerStatus, startDataListeners } from '../http/listeners.ts';
import {
  type RunningServer,
  startMetricsServer,
  startProbeServer,
  startProbeSocket,
} from '../http/metrics-server.ts';
import { createRateLimiter } from '../http/rate-limiter.ts';
import { createKubeApiClient } from '../kube/api-client.ts';
import {
  createStartupTaintRemover,
  type StartupTaintOptions,
  type StartupTaintRemover,
  type StartupTaintStatus,
} from '../kube/startup-taint.ts';
import { setBuildInfo } from '../observability/build-info.ts';
import { createConfigChecks } from '../observability/config-checks.ts';
import { createEventLoopMonitor } from '../observability/event-loop-monitor.ts';
import { createLogger, type Logger } from '../observability/logger.ts';
import { createMetrics, type Metrics } from '../observability/metrics.ts';
import type { ProbeChecks, ProbeResult } from '../observability/probe-result.ts';
import { installProcessMetrics, readMaxFds } from '../observability/process-metrics.ts';
import { raceTimer } from '../shared/race-timer.ts';
import { createTokenChecker } from '../token/token-checker.ts';
import type { TokenVerifier } from '../token/types.ts';
import { createVerification, type Verification } from '../token/verification.ts';
import { VERSION } from '../version.ts';

/** Parts a test or the `local` mode may supply instead of the defaults built from the Config. */
export interface AgentDeps {
  clock?: Clock;
  logger?: Logger;
  metrics?: Metrics;
  client?: EksAuthClient;
  verifier?: TokenVerifier;
  random?: () => number;
  /** Refresher scan interval (tests use a long one and call tick themselves). */
  refreshIntervalMs?: number;
  /** Static node credentials instead of the SDK default chain (local mode, tests). */
  nodeCredentials?: { accessKeyId: string; secretAccessKey: string; sessionToken?: string };
  /** Skip the probe and metrics listeners (unit tests of the data path). */
  withoutSideListeners?: boolean;
  /** Backoff and wait settings of --startup-taint (tests shorten them). */
  startupTaint?: Pick<
    StartupTaintOptions,
    'sleep' | 'baseBackoffMs' | 'maxBackoffMs' | 'selfCheckIntervalMs'
  >;
}

export interface Agent {
  readonly config: Config;
  readonly metrics: Metrics;
  readonly logger: Logger;
  readonly cache: CredentialCache;
  readonly service: CredentialService;
  readonly refresher: Refresher;
  readonly listeners: DataListeners;
  readonly probes: ProbeChecks;
  /** --startup-taint's remover, when the flag is set; its start() resolves once it is done. */
  readonly startupTaint: StartupTaintRemover | undefined;
  /** How tokens are checked now (claims until signing keys load), and the key source. */
  readonly verification: Verification;
  /** The metrics listener (/metrics, /healthz, /readyz), unless withoutSideListeners. */
  readonly metricsServer: RunningServer | undefined;
  /** The probe listener (/healthz, /readyz on --probe-address), unless withoutSideListeners. */
  readonly probeServer: RunningServer | undefined;
  /** Base URL of the first bound data listener, e.g. http://127.0.0.1:8080. */
  readonly url: string;
  /** Stops accepting, waits for in-flight requests (bounded), then stops everything. Idempotent. */
  stop(): Promise<void>;
}

/** The credentials path of one agent without its listeners: what startAgent serves and bench/cluster-sim drives. */
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

export interface CredentialPathDeps
  extends Pick<AgentDeps, 'client' | 'verifier' | 'random' | 'refreshIntervalMs' | 'nodeCredentials'> {
  clock: Clock;
  logger: Logger;
  metrics: Metrics;
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
      metrics,
      logger,
      clock,
      timers: deps.timers,
      fetch: deps.fetch,
      monotonicNow: deps.monotonicNow,
      random: deps.random,
    });
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

export async function startAgent(config: Config, deps: AgentDeps = {}): Promise<Agent> {
  const clock = deps.clock ?? systemClock;
  const logger = deps.logger ?? createLogger(config.logLevel);
  const metrics = deps.metrics ?? createMetrics();
  // Keys load in the background: the listeners never wait for the key source (claims mode meanwhile).
  const verification = createVerification(config, { clock, logger, metrics, verifier: deps.verifier });
  const { verifier } = verification;
  let draining = false;
  const { client, nodeCredentials, cache, service, refresher, handler, cachingEnabled } =
    createCredentialPath(config, { ...deps, clock, logger, metrics, verifier }, () => draining);
  const dataApp = createDataApp(handler);
  // Every part built registers its closer: a failed start and stop() release the same list, last built first.
  const closers = createClosers();
  closers.add(() => client.close());
  closers.add(() => verification.close());
  let listeners: DataListeners;
  try {
    listeners = await startDataListeners({
      bindHosts: config.bindHosts,
      port: config.port,
      app: dataApp,
      strictBind: config.strictBind,
      logger,
      metrics,
    });
  } catch (err) {
    await closers.close();
    throw err;
  }
  closers.add(() => listeners.stop(true));
  const connectionGuard = guardConnections(config, listeners, logger, metrics);
  closers.add(() => connectionGuard.stop());
  const loopMonitor = createEventLoopMonitor();
  closers.add(() => loopMonitor.stop());
  const notConfigured = notConfiguredMessage(config);
  const configChecks = createConfigChecks({ config, nodeCredentials, verification, clock });
  configChecks.start();
  const startupTaint = buildStartupTaintRemover(config, deps, logger, metrics, async () => {
    return (await probes.readiness()).ok;
  });
  const probes = createProbes(
    listeners,
    loopMonitor.check,
    notConfigured,
    configChecks.check,
    startupTaint?.status,
  );
  let metricsServer: RunningServer | undefined;
  let probeServer: RunningServer | undefined;
  let probeSocket: RunningServer | undefined;
  if (!deps.withoutSideListeners) {
    if (!deps.metrics) installProcessMetrics(metrics.registry, { eventLoopMonitor: loopMonitor });
    setBuildInfo(metrics);
    try {
      metricsServer = await startMetricsServer({
        hostname: config.metricsAddress,
        port: config.metricsPort,
        registry: metrics.registry,
        probes,
      });
      closers.add(metricsServer.stop);
      probeServer = await startProbeServer({ hostname: config.probeAddress, port: config.probePort, probes });
      closers.add(probeServer.stop);
      // Last: the startup probe asks it, so it answers only once everything else is listening.
      if (config.probeSocket !== undefined) {
        probeSocket = startProbeSocket({ path: config.probeSocket, probes });
        closers.add(probeSocket.stop);
      }
    } catch (err) {
      await closers.close();
      throw err;
    }
  }
  if (cachingEnabled) refresher.start();
  if (notConfigured !== undefined) logger.error(notConfigured);
  // In the background: the agent serves whatever the Kubernetes API server does.
  void startupTaint?.start();
  const firstBound = listeners.statuses().find((s) => s.bound);
  // The one start line: what this agent is and how it checks tokens.
  logger.info(
    {
      version: VERSION,
      region: config.region,
      endpoint:
        config.endpoint ??
        defaultEksAuthEndpoint(config.region, { useFips: config.useFipsEndpoint }) ??
        'none (FIPS is not offered in this partition)',
      caBundle: config.caBundle,
      clusterName: config.clusterName,
      // Keys load in the background; a failed load logs a warning naming claims mode, the first success says
      // that tokens are verified from then on.
      verificationMode:
        verification.mode() === config.verifyTokens
          ? verification.mode()
          : 'claims until the signing keys load',
      verifyTokens: config.verifyTokens,
      keySource: verification.describeKeySource(),
      verification: verifier?.mode,
      listeners: listeners.statuses(),
      maxConnections: connectionGuard.cap,
      maxHeaderBytes: runtimeHeaderLimitBytes(),
      cache: cachingEnabled ? config.maxCacheSize : 'disabled',
    },
    'agent started',
  );

  let stopping: Promise<void> | undefined;
  async function drain(): Promise<void> {
    // Handover: the listeners stay open and every request is still served (misses too), but each answer ends
    // its connection. Kept-alive clients then reconnect, and in a rollout land on the new instance that shares
    // the port, instead of sending on an idle connection just as the drain closes it (a reset).
    if (config.drainDelayMs > 0) {
      listeners.closeAfterEachAnswer();
      logger.info(
        { drainDelayMs: config.drainDelayMs },
        'handing over: closing connections after each answer',
      );
      await new Promise((resolve) => setTimeout(resolve, config.drainDelayMs));
    }
    draining = true;
    refresher.stop();
    startupTaint?.stop();
    connectionGuard.stop();
    const graceful = listeners.stop(false);
    const outcome = await raceTimer(
      graceful.then(() => 'drained' as const),
      config.shutdownTimeoutMs,
      () => 'timeout' as const,
    );
    if (outcome === 'timeout') {
      logger.warn(
        { timeoutMs: config.shutdownTimeoutMs },
        'shutdown timeout reached; closing open connections',
      );
      await listeners.stop(true);
    }
    await closers.close();
    logger.info('agent stopped');
  }

  return {
    config,
    metrics,
    logger,
    cache,
    service,
    refresher,
    listeners,
    probes,
    startupTaint,
    verification,
    metricsServer,
    probeServer,
    url: firstBound?.url ?? '',
    stop() {
      stopping ??= drain();
      return stopping;
    },
  };
}

/**
 * Stops the data listeners accepting while open descriptors are at the cap (see connection-guard.ts); and
 * says so when the runtime's header limit is larger than the one the memory bound assumes.
 */
function guardConnections(config: Config, listeners: DataListeners, logger: Logger, metrics: Metrics) {
  const headerBytes = runtimeHeaderLimitBytes();
  if (headerBytes > MAX_REQUEST_HEADER_BYTES) {
    logger.warn(
      { maxHeaderBytes: headerBytes, expected: MAX_REQUEST_HEADER_BYTES },
      `request header limit is ${headerBytes} bytes; run bun with --max-http-header-size=${MAX_REQUEST_HEADER_BYTES} (the executable has it built in)`,
    );
  }
  const fdLimit = readMaxFds();
  const guard = createConnectionGuard({
    maxConnections: config.maxConnections,
    fdLimit,
    listeners,
    onChange(accepting, openFds, cap) {
      metrics.acceptingConnections.set(accepting ? 1 : 0);
      if (accepting) logger.info({ openFds, cap }, 'accepting connections again');
      else
        logger.warn(
          { openFds, cap },
          'open descriptors at the connection cap: new connections are refused until they fall',
        );
    },
    onError: (err) => logger.warn({ err: (err as Error).message }, 'connection guard check failed'),
  });
  if (guard.cap < config.maxConnections) {
    logger.warn(
      { fdLimit, maxConnections: config.maxConnections, cap: guard.cap },
      'the fd limit leaves less than --max-connections; the connection cap is the fd limit less a reserve',
    );
  }
  return guard;
}

/** How long readiness waits for a data listener to answer its own `/`. */
const READINESS_REQUEST_TIMEOUT_MS = 1_000;

/**
 * Liveness: the event loop is responsive and a listener is open; never EKS Auth, so an AWS outage does not
 * restart agents and wipe their caches. Readiness: every bound listener answers `/` with 404, like the
 * public agent's check, and the detail names listeners that could not be bound (IPv6 fallback).
 */
function createProbes(
  listeners: DataListeners,
  loopCheck: () => ProbeResult,
  notConfigured: string | undefined,
  configCheck: () => ProbeResult,
  startupTaint: (() => StartupTaintStatus) | undefined,
): ProbeChecks {
  return {
    liveness() {
      const loop = loopCheck();
      const statuses = listeners.statuses();
      const open = statuses.some((s) => s.bound);
      return { ok: loop.ok && open, detail: { ...loop.detail, listeners: statuses.map(describe) } };
    },
    async readiness() {
      const statuses = listeners.statuses();
      // The taint's state is shown, never a reason to fail: the agent serves whatever the API server does.
      const taint = startupTaint ? { startupTaint: startupTaint() } : {};
      if (notConfigured !== undefined) {
        return { ok: false, detail: { error: notConfigured, listeners: statuses.map(describe), ...taint } };
      }
      const checks = await Promise.all(
        statuses
          .filter((s) => s.bound)
          .map(async (s) => {
            try {
              const res = await fetch(`${s.url}/`, {
                signal: AbortSignal.timeout(READINESS_REQUEST_TIMEOUT_MS),
                // Our own listener: never through HTTP_PROXY (Bun's fetch applies it even to loopback).
                proxy: false,
              });
              await res.arrayBuffer();
              return { url: s.url, ok: res.status === 404 };
            } catch {
              return { url: s.url, ok: false };
            }
          }),
      );
      const configured = configCheck();
      const ok = checks.length > 0 && checks.every((c) => c.ok) && configured.ok;
      return {
        ok,
        detail: { ...configured.detail, listeners: statuses.map(describe), answering: checks, ...taint },
      };
    },
  };
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

function describe(s: ListenerStatus) {
  return s.error === undefined
    ? { host: s.host, bound: s.bound }
    : { host: s.host, bound: false, error: s.error };
}

/** --startup-taint: the remover, gated on the readiness self-check; undefined when the flag is unset. */
function buildStartupTaintRemover(
  config: Config,
  deps: AgentDeps,
  logger: Logger,
  metrics: Metrics,
  selfCheck: () => Promise<boolean>,
): StartupTaintRemover | undefined {
  if (config.startupTaint === undefined || config.kubeApi === undefined) return undefined;
  return createStartupTaintRemover({
    client: createKubeApiClient({ endpoint: config.kubeApi }),
    nodeName: config.startupTaint.nodeName,
    taint: config.startupTaint.taint,
    selfCheck,
    logger,
    metrics,
    random: deps.random,
    ...deps.startupTaint,
  });
}

/** Runs `server` until SIGTERM/SIGINT; resolves with the process exit code. */
export async function runServer(config: Config): Promise<number> {
  const agent = await startAgent(config);
  const signal = await stopSignal().received;
  agent.logger.info({ signal }, 'signal received; draining');
  await agent.stop();
  return 0;
}

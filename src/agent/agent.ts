// `server`: builds the agent's parts from a Config and starts them in order (credential path, data listeners,
// connection cap, probes, side listeners, refresher, startup taint). Each part registers its closer as it is
// built; readiness is in readiness.ts, the SIGTERM drain in drain.ts.
import { type Closers, createClosers, stopSignal } from '../cli/shutdown.ts';
import { type Clock, systemClock } from '../clock.ts';
import type { Config } from '../config/server-config.ts';
import type { CredentialCache } from '../credentials/cache.ts';
import type { CredentialService } from '../credentials/credential-service.ts';
import type { Refresher } from '../credentials/refresher.ts';
import { createDataApp } from '../http/data-app.ts';
import { type DataListeners, startDataListeners } from '../http/listeners.ts';
import type { RunningServer } from '../http/metrics-server.ts';
import type { StartupTaintRemover } from '../kube/startup-taint.ts';
import { createEventLoopMonitor } from '../observability/event-loop-monitor.ts';
import { createLogger, type Logger } from '../observability/logger.ts';
import { createMetrics, type Metrics } from '../observability/metrics.ts';
import type { ProbeChecks } from '../observability/probe-result.ts';
import { createVerification, type Verification } from '../token/verification.ts';
import { guardConnections } from './connection-cap.ts';
import { type CredentialPath, type CredentialPathDeps, createCredentialPath } from './credential-path.ts';
import { drainAgent } from './drain.ts';
import { deprioritiseHelperThreads, type ThreadSystem } from './helper-threads.ts';
import { type StartupTaintSettings, watchReadiness } from './readiness.ts';
import { startSideListeners } from './side-listeners.ts';
import { logAgentStarted } from './start-log.ts';

/** Parts a test or the `local` mode may supply instead of the defaults built from the Config. */
export interface AgentDeps
  extends Pick<
    CredentialPathDeps,
    'client' | 'verifier' | 'random' | 'refreshIntervalMs' | 'nodeCredentials'
  > {
  clock?: Clock;
  logger?: Logger;
  metrics?: Metrics;
  /** Skip the probe and metrics listeners (unit tests of the data path). */
  withoutSideListeners?: boolean;
  /** Backoff and wait settings of --startup-taint (tests shorten them). */
  startupTaint?: StartupTaintSettings;
  /** The threads --helper-thread-nice lowers (tests pass a fake: the real one would renice the test runner's). */
  helperThreads?: ThreadSystem;
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

/** What every part of a starting agent shares: its Config, parts supplied by the caller, the credential path. */
interface AgentCore {
  readonly config: Config;
  readonly deps: AgentDeps;
  readonly clock: Clock;
  readonly logger: Logger;
  readonly metrics: Metrics;
  readonly verification: Verification;
  readonly path: CredentialPath;
  readonly closers: Closers;
  /** From here on the credentials handler tells clients the agent is draining. */
  readonly markDraining: () => void;
}

export async function startAgent(config: Config, deps: AgentDeps = {}): Promise<Agent> {
  const clock = deps.clock ?? systemClock;
  const logger = deps.logger ?? createLogger(config.logLevel);
  const metrics = deps.metrics ?? createMetrics();
  // Keys load in the background: the listeners never wait for the key source (claims mode meanwhile).
  const verification = createVerification(config, { clock, logger, metrics, verifier: deps.verifier });
  let draining = false;
  const path = createCredentialPath(
    config,
    { ...deps, clock, logger, metrics, verifier: verification.verifier },
    () => draining,
  );
  // Every part registers its closer as it is built: a failed start and stop() release the same list.
  const closers = createClosers();
  closers.add(() => path.client.close());
  closers.add(() => verification.close());
  const markDraining = () => {
    draining = true;
  };
  try {
    return await startServing({
      config,
      deps,
      clock,
      logger,
      metrics,
      verification,
      path,
      closers,
      markDraining,
    });
  } catch (err) {
    await closers.close();
    throw err;
  }
}

/** Listeners, connection cap, probes, side listeners, then the background work; resolves once serving. */
async function startServing(core: AgentCore): Promise<Agent> {
  const { config, deps, logger, metrics, verification, path, closers } = core;
  const listeners = await startDataListeners({
    bindHosts: config.bindHosts,
    port: config.port,
    app: createDataApp(path.handler),
    strictBind: config.strictBind,
    logger,
    metrics,
  });
  closers.add(() => listeners.stop(true));
  const connectionGuard = guardConnections(config, listeners, logger, metrics);
  closers.add(() => connectionGuard.stop());
  const loopMonitor = createEventLoopMonitor();
  closers.add(() => loopMonitor.stop());
  const { probes, startupTaint, notConfigured } = watchReadiness(config, {
    ...core,
    listeners,
    loopMonitor,
    nodeCredentials: path.nodeCredentials,
    random: deps.random,
    startupTaint: deps.startupTaint,
  });
  const side = deps.withoutSideListeners
    ? undefined
    : await startSideListeners(
        config,
        { metrics, probes, loopMonitor, withProcessMetrics: !deps.metrics },
        closers,
      );
  if (config.helperThreadNice > 0) {
    // After the listeners and the signature workers have started; threads started later are found by the rescans.
    const helpers = deprioritiseHelperThreads({
      nice: config.helperThreadNice,
      system: deps.helperThreads,
      onError: (err) =>
        logger.warn(
          { err: (err as Error).message },
          "cannot lower the helper threads' priority (--helper-thread-nice); they compete with the main thread",
        ),
    });
    closers.add(() => helpers.stop());
  }
  if (path.cachingEnabled) path.refresher.start();
  if (notConfigured !== undefined) logger.error(notConfigured);
  // In the background: the agent serves whatever the Kubernetes API server does.
  void startupTaint?.start();
  logAgentStarted(logger, config, {
    verification,
    listeners,
    maxConnections: connectionGuard.cap,
    cachingEnabled: path.cachingEnabled,
  });
  const drainParts = { ...core, listeners, refresher: path.refresher, startupTaint, connectionGuard };
  let stopping: Promise<void> | undefined;
  return {
    config,
    metrics,
    logger,
    cache: path.cache,
    service: path.service,
    refresher: path.refresher,
    listeners,
    probes,
    startupTaint,
    verification,
    metricsServer: side?.metricsServer,
    probeServer: side?.probeServer,
    url: listeners.statuses().find((s) => s.bound)?.url ?? '',
    stop() {
      stopping ??= drainAgent(drainParts);
      return stopping;
    },
  };
}

/** Runs `server` until SIGTERM/SIGINT; resolves with the process exit code. */
export async function runServer(config: Config): Promise<number> {
  const agent = await startAgent(config);
  const signal = await stopSignal().received;
  agent.logger.info({ signal }, 'signal received; draining');
  await agent.stop();
  return 0;
}

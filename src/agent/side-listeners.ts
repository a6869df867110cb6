// The agent's side listeners: metrics (/metrics, /healthz, /readyz), probes (--probe-address) and, last, the
// --probe-socket the startup probe asks, so it answers only once everything else is listening.
import type { Closers } from '../cli/shutdown.ts';
import type { Config } from '../config/server-config.ts';
import {
  type RunningServer,
  startMetricsServer,
  startProbeServer,
  startProbeSocket,
} from '../http/metrics-server.ts';
import { setBuildInfo } from '../observability/build-info.ts';
import type { EventLoopMonitor } from '../observability/event-loop-monitor.ts';
import type { Metrics } from '../observability/metrics.ts';
import type { ProbeChecks } from '../observability/probe-result.ts';
import { installProcessMetrics } from '../observability/process-metrics.ts';

export interface SideListeners {
  readonly metricsServer: RunningServer;
  readonly probeServer: RunningServer;
}

export interface SideListenerParts {
  readonly metrics: Metrics;
  readonly probes: ProbeChecks;
  readonly loopMonitor: EventLoopMonitor;
  /** False when a test passed its own Metrics (process metrics stay out of its registry). */
  readonly withProcessMetrics: boolean;
}

/** Starts the side listeners, registering each one's closer as it listens. */
export async function startSideListeners(
  config: Config,
  parts: SideListenerParts,
  closers: Closers,
): Promise<SideListeners> {
  const { metrics, probes } = parts;
  if (parts.withProcessMetrics)
    installProcessMetrics(metrics.registry, { eventLoopMonitor: parts.loopMonitor });
  setBuildInfo(metrics);
  const metricsServer = await startMetricsServer({
    hostname: config.metricsAddress,
    port: config.metricsPort,
    registry: metrics.registry,
    probes,
  });
  closers.add(() => metricsServer.stop());
  const probeServer = await startProbeServer({
    hostname: config.probeAddress,
    port: config.probePort,
    probes,
  });
  closers.add(() => probeServer.stop());
  if (config.probeSocket !== undefined) {
    const probeSocket = startProbeSocket({ path: config.probeSocket, probes });
    closers.add(() => probeSocket.stop());
  }
  return { metricsServer, probeServer };
}

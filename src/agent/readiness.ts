// The agent's probes and what feeds them. Liveness: the event loop and open listeners only, never EKS Auth.
// Readiness: every bound data listener answers its own `/` and the config checks pass; the detail says why
// not. --startup-taint's remover waits for that readiness before it removes the node's taint.
import type { Clock } from '../clock.ts';
import type { Config } from '../config/server-config.ts';
import type { CredentialsProvider } from '../eks-auth/node-credentials.ts';
import type { DataListeners, ListenerStatus } from '../http/listeners.ts';
import { createKubeApiClient } from '../kube/api-client.ts';
import {
  createStartupTaintRemover,
  type StartupTaintOptions,
  type StartupTaintRemover,
  type StartupTaintStatus,
} from '../kube/startup-taint.ts';
import { createConfigChecks } from '../observability/config-checks.ts';
import type { EventLoopMonitor } from '../observability/event-loop-monitor.ts';
import type { Logger } from '../observability/logger.ts';
import type { Metrics } from '../observability/metrics.ts';
import type { ProbeChecks, ProbeResult } from '../observability/probe-result.ts';
import type { Verification } from '../token/verification.ts';
import { notConfiguredMessage } from './credential-path.ts';

/** How long readiness waits for a data listener to answer its own `/`. */
const READINESS_REQUEST_TIMEOUT_MS = 1_000;

/**
 * Liveness: the event loop is responsive and a listener is open; never EKS Auth, so an AWS outage does not
 * restart agents and wipe their caches. Readiness: every bound listener answers `/` with 404, like the
 * public agent's check, and the detail names listeners that could not be bound (IPv6 fallback).
 */
export function createProbes(
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

function describe(s: ListenerStatus) {
  return s.error === undefined
    ? { host: s.host, bound: s.bound }
    : { host: s.host, bound: false, error: s.error };
}

/** Backoff and wait settings of --startup-taint (tests shorten them). */
export type StartupTaintSettings = Pick<
  StartupTaintOptions,
  'sleep' | 'baseBackoffMs' | 'maxBackoffMs' | 'selfCheckIntervalMs'
>;

export interface ReadinessParts {
  readonly listeners: DataListeners;
  readonly loopMonitor: EventLoopMonitor;
  readonly nodeCredentials: CredentialsProvider | undefined;
  readonly verification: Verification;
  readonly clock: Clock;
  readonly logger: Logger;
  readonly metrics: Metrics;
  readonly random?: (() => number) | undefined;
  readonly startupTaint?: StartupTaintSettings | undefined;
}

/** The probes and what feeds them: config checks (started here), the not-configured line, --startup-taint. */
export function watchReadiness(config: Config, parts: ReadinessParts) {
  const { listeners, verification, clock } = parts;
  const notConfigured = notConfiguredMessage(config);
  const configChecks = createConfigChecks({
    config,
    nodeCredentials: parts.nodeCredentials,
    verification,
    clock,
  });
  configChecks.start();
  const startupTaint = buildStartupTaintRemover(config, parts, async () => {
    return (await probes.readiness()).ok;
  });
  const probes = createProbes(
    listeners,
    parts.loopMonitor.check,
    notConfigured,
    configChecks.check,
    startupTaint?.status,
  );
  return { probes, startupTaint, notConfigured };
}

/** --startup-taint: the remover, gated on the readiness self-check; undefined when the flag is unset. */
function buildStartupTaintRemover(
  config: Config,
  parts: Pick<ReadinessParts, 'logger' | 'metrics' | 'random' | 'startupTaint'>,
  selfCheck: () => Promise<boolean>,
): StartupTaintRemover | undefined {
  if (config.startupTaint === undefined || config.kubeApi === undefined) return undefined;
  return createStartupTaintRemover({
    client: createKubeApiClient({ endpoint: config.kubeApi }),
    nodeName: config.startupTaint.nodeName,
    taint: config.startupTaint.taint,
    selfCheck,
    logger: parts.logger,
    metrics: parts.metrics,
    random: parts.random,
    ...parts.startupTaint,
  });
}

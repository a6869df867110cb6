// Metrics of the agent process itself: its build, and the node's --startup-taint state.
import { Gauge, type Registry } from '../prom-client.ts';

export function createAgentMetrics(registry: Registry) {
  const startupTaint = new Gauge({
    name: 'pod_identity_startup_taint',
    help: "--startup-taint on the agent's node: 1 for the current state (waiting, removing, removed, absent, failed).",
    labelNames: ['state'] as const,
    registers: [registry],
  });
  const buildInfo = new Gauge({
    name: 'pod_identity_build_info',
    help: 'Build information; the value is always 1.',
    labelNames: ['version', 'runtime'] as const,
    registers: [registry],
  });
  return { startupTaint, buildInfo };
}

export type AgentMetrics = ReturnType<typeof createAgentMetrics>;

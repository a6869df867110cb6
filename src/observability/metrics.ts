// The agent's Prometheus metrics: one registry per agent instance (so tests can run several agents in one
// process without sharing counters), pre-bound children for the hot path, bounded label values only. Each
// stage's metrics are defined in its own group (metric-groups/): a module takes only its group's metrics.

import { type AgentMetrics, createAgentMetrics } from './metric-groups/agent.ts';
import { type CredentialsMetrics, createCredentialsMetrics } from './metric-groups/credentials.ts';
import { createEksAuthMetrics, type EksAuthMetrics } from './metric-groups/eks-auth.ts';
import { createHttpMetrics, type HttpMetrics } from './metric-groups/http.ts';
import { createTokenMetrics, type TokenMetrics } from './metric-groups/token.ts';
import { Registry } from './prom-client.ts';

export type { AgentMetrics, CredentialsMetrics, EksAuthMetrics, HttpMetrics, TokenMetrics };

export function createMetrics(registry: Registry = new Registry()) {
  const http = createHttpMetrics(registry);
  const credentials = createCredentialsMetrics(registry);
  return {
    registry,
    ...http,
    ...credentials,
    ...createEksAuthMetrics(registry),
    ...createTokenMetrics(registry),
    ...createAgentMetrics(registry),
    // The hot path never does a label lookup, and its counters are plain numbers until a scrape reads them.
    hot: { ...http.hot, ...credentials.hot },
  };
}

export type Metrics = ReturnType<typeof createMetrics>;

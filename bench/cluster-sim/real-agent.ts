// This project's agent on a simulated node: the real credential path (EKS Auth client with its retries,
// retry quota and adaptive pacer; single-flight credential service; cache; refresher; request handler)
// built by createCredentialPath from a Config parsed from agent flags, exactly as `server` builds it, on
// virtual time. Only the refresher's 1 s scan timer is replaced: scans are scheduled for the instants one
// could do anything (an entry due, servable time over, token expired), on the same 1 s grid.
import type { Server } from 'bun';
import { createCredentialPath } from '../../src/agent/credential-path.ts';
import { parseServerConfig } from '../../src/config/server-config.ts';
import type { CredentialCache } from '../../src/credentials/cache.ts';
import type { FetchLike } from '../../src/eks-auth/transport.ts';
import { createSilentLogger } from '../../src/observability/logger.ts';
import { createMetrics, type Metrics } from '../../src/observability/metrics.ts';
import type { AgentPolicy, NodeAgent, NodeContext } from './node-agent.ts';

const REFRESH_INTERVAL_MS = 1000;
const DATA_URL = 'http://169.254.170.23/v1/credentials';

/**
 * When the next refresher scan could change anything for this cache (Infinity: never, until a request), on the
 * wall clock: renewal times are monotonic readings, which on virtual time advance with the wall clock.
 */
function nextScanNeededAt(cache: CredentialCache, nowMs: number, monotonicMs: number): number {
  let next = Number.POSITIVE_INFINITY;
  for (const e of cache.entries()) {
    let t = e.servableUntilMs;
    if (e.renewAtMonotonicMs > monotonicMs) t = Math.min(t, nowMs + (e.renewAtMonotonicMs - monotonicMs));
    else if (e.accessed || e.tokenExpiresAtMs <= nowMs) t = nowMs;
    else t = Math.min(t, e.tokenExpiresAtMs);
    if (t < next) next = t;
  }
  return next;
}

export function realAgentPolicy(agentArgs: readonly string[] = [], label = 'this agent'): AgentPolicy {
  const config = parseServerConfig(
    ['--cluster-name', 'sim', ...agentArgs],
    { AWS_REGION: 'us-west-2' },
    { availableCores: 2 },
  );
  const logger = createSilentLogger();
  let metrics: Metrics | undefined;
  return {
    label,
    modelled: false,
    start(node: NodeContext): NodeAgent {
      // One registry for the whole cluster: counters add up across nodes, and 1,000 registries would cost more than the agents.
      metrics ??= createMetrics();
      const { time } = node;
      let stopped = false;
      let scanAt = Number.POSITIVE_INFINITY;
      let scanTimer: unknown;
      const phaseMs = Math.floor(node.random() * REFRESH_INTERVAL_MS);
      const onGrid = (t: number) =>
        phaseMs + Math.ceil((t - phaseMs) / REFRESH_INTERVAL_MS) * REFRESH_INTERVAL_MS;

      const reschedule = () => {
        if (stopped || !path.cachingEnabled) return;
        const nowMs = time.now();
        const next = nextScanNeededAt(path.cache, nowMs, time.monotonic());
        if (next === Number.POSITIVE_INFINITY) return;
        // The scan at nowMs itself has run if we are here from it; the grid's next slot otherwise.
        const at = onGrid(Math.max(next, nowMs + 1));
        if (at >= scanAt && scanAt > nowMs) return;
        time.clearTimeout(scanTimer);
        scanAt = at;
        scanTimer = time.setTimeout(scan, at - nowMs);
      };
      const scan = () => {
        scanAt = Number.POSITIVE_INFINITY;
        if (stopped) return;
        const settled = path.refresher.tick();
        reschedule();
        settled.then(reschedule, reschedule);
      };
      const fetch: FetchLike = (url, init) => {
        const p = node.eksAuth.fetch(url, init);
        // The cache changes once the client's continuation has run: look again right after.
        p.finally(() => time.setTimeout(reschedule, 0)).catch(() => {});
        return p;
      };
      const path = createCredentialPath(
        config,
        {
          clock: time,
          timers: time,
          monotonicNow: time.monotonicNow,
          fetch,
          logger,
          metrics,
          random: node.random,
          refreshIntervalMs: REFRESH_INTERVAL_MS,
          nodeCredentials: { accessKeyId: 'AKIDSIMULATEDNODE', secretAccessKey: 'simulated-node-secret' },
        },
        () => false,
      );
      return {
        async request(token, clientAddress) {
          const server = { requestIP: () => ({ address: clientAddress, family: 'IPv4', port: 40000 }) };
          const req = new Request(DATA_URL, { headers: { host: '169.254.170.23', authorization: token } });
          // An SDK that gives up closes its connection; the agent's handler goes on regardless (as on a real socket).
          const res = await path.handler(req, server as unknown as Server<undefined>);
          const body = await res.text();
          reschedule();
          return { status: res.status, body };
        },
        stop() {
          stopped = true;
          time.clearTimeout(scanTimer);
          path.client.close();
        },
      };
    },
  };
}

// Bench-only agent entry: the real startAgent from a normal `server` flag list, with metrics on or off, so the
// cost of metrics on the hit path is measured with everything else equal (both variants pass their own
// metrics object, so both skip the process metrics collectors).
// SIGUSR2 forces a full garbage collection (memory bench).
// Usage: bun bench/servers/agent-variant.ts --bench-metrics on|off <server flags...>
import { startAgent } from '../../src/agent/agent.ts';
import { parseServerConfig } from '../../src/config/server-config.ts';
import { createMetrics, type Metrics } from '../../src/observability/metrics.ts';

const argv = process.argv.slice(2);
const at = argv.indexOf('--bench-metrics');
const mode = at >= 0 ? argv[at + 1] : 'on';
if (at >= 0) argv.splice(at, 2);
if (mode !== 'on' && mode !== 'off') throw new Error('--bench-metrics must be on or off');

/** No-op stand-ins for the pre-bound children the hit path touches; everything else stays real. */
function withoutHotMetrics(metrics: Metrics): Metrics {
  const noop = { inc() {}, dec() {}, observe() {}, set() {} };
  const hot = Object.fromEntries(Object.keys(metrics.hot).map((k) => [k, noop])) as unknown as Metrics['hot'];
  return { ...metrics, hot };
}

const config = parseServerConfig(argv, process.env);
const metrics = mode === 'on' ? createMetrics() : withoutHotMetrics(createMetrics());
const agent = await startAgent(config, { metrics });
const stop = async () => {
  await agent.stop();
  process.exit(0);
};
process.once('SIGTERM', stop);
process.once('SIGINT', stop);
// The memory bench asks for a full collection to tell live data from garbage not yet collected.
process.on('SIGUSR2', () => Bun.gc(true));

// Bench-only agent entry: the real startAgent from a normal `server` flag list, with metrics on or off, so the
// cost of metrics on the hit path is measured with everything else equal (both variants pass their own
// metrics object, so both skip the process metrics collectors).
// SIGUSR2 forces a full garbage collection (memory bench). `--bench-loop-delay` adds a fine event-loop delay
// sampler (1 ms resolution, unlike the agent's own 500 ms monitor, which sees only the moments it ticks) read
// and reset through bench_event_loop_delay_seconds{stat} on /metrics (hostile-upstream bench).
// `--bench-trace` writes where each 1 ms of event loop went to stderr (turn-trace.ts), and a `W` line at each
// such scrape (hostile-upstream-trace.ts splits the trace into windows there).
// `--bench-heap-stats FILE`: SIGUSR1 runs a full collection and writes bun:jsc heapStats() (object counts by type)
// to FILE as JSON, with how the cached entries' strings are stored (jscDescribe: unresolved ropes, 16-bit), their
// lengths and the entry objects' own size (estimateShallowMemoryUsageOf) (bench/footprint-residue-probe.ts).
// Usage: bun bench/servers/agent-variant.ts --bench-metrics on|off [--bench-loop-delay] [--bench-trace]
//   [--bench-heap-stats FILE] <server flags...>

import { renameSync, writeFileSync, writeSync } from 'node:fs';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { Gauge } from 'prom-client';
import { startAgent } from '../../src/agent/agent.ts';
import { parseServerConfig } from '../../src/config/server-config.ts';
import { createMetrics, type Metrics } from '../../src/observability/metrics.ts';
import { installTurnTrace } from './turn-trace.ts';

const argv = process.argv.slice(2);
const at = argv.indexOf('--bench-metrics');
const mode = at >= 0 ? argv[at + 1] : 'on';
if (at >= 0) argv.splice(at, 2);
if (mode !== 'on' && mode !== 'off') throw new Error('--bench-metrics must be on or off');
const loopDelayAt = argv.indexOf('--bench-loop-delay');
if (loopDelayAt >= 0) argv.splice(loopDelayAt, 1);
const traceAt = argv.indexOf('--bench-trace');
if (traceAt >= 0) argv.splice(traceAt, 1);
const heapStatsAt = argv.indexOf('--bench-heap-stats');
const heapStatsFile = heapStatsAt >= 0 ? argv[heapStatsAt + 1] : undefined;
if (heapStatsAt >= 0) argv.splice(heapStatsAt, 2);

/** No-op stand-ins for the pre-bound children the hit path touches; everything else stays real. */
function withoutHotMetrics(metrics: Metrics): Metrics {
  const noop = { inc() {}, dec() {}, observe() {}, set() {} };
  const hot = Object.fromEntries(Object.keys(metrics.hot).map((k) => [k, noop])) as unknown as Metrics['hot'];
  return { ...metrics, hot };
}

/** Delay percentiles since the previous scrape: each scrape reads the window and starts a new one. */
function addLoopDelaySampler(metrics: Metrics): void {
  const histogram = monitorEventLoopDelay({ resolution: 1 });
  histogram.enable();
  new Gauge({
    name: 'bench_event_loop_delay_seconds',
    help: 'Bench only: event-loop delay of a 1 ms timer since the previous scrape.',
    labelNames: ['stat'] as const,
    registers: [metrics.registry],
    collect() {
      if (traceAt >= 0) writeSync(2, 'W\n');
      // Nanoseconds; a window without samples reads 0.
      const seconds = (ns: number) => (histogram.count === 0 ? 0 : ns / 1e9);
      this.set({ stat: 'p50' }, seconds(histogram.percentile(50)));
      this.set({ stat: 'p99' }, seconds(histogram.percentile(99)));
      this.set({ stat: 'max' }, seconds(histogram.max));
      this.set({ stat: 'count' }, histogram.count);
      histogram.reset();
    },
  });
}

const config = parseServerConfig(argv, process.env);
const metrics = mode === 'on' ? createMetrics() : withoutHotMetrics(createMetrics());
if (loopDelayAt >= 0) addLoopDelaySampler(metrics);
if (traceAt >= 0) installTurnTrace();
const agent = await startAgent(config, { metrics });
const stop = async () => {
  await agent.stop();
  process.exit(0);
};
process.once('SIGTERM', stop);
process.once('SIGINT', stop);
// The memory bench asks for a full collection to tell live data from garbage not yet collected.
process.on('SIGUSR2', () => Bun.gc(true));
// Loaded only with --bench-heap-stats, so the other benches' agent is the same as before.
const jsc = heapStatsFile === undefined ? undefined : await import('bun:jsc');

/** Per field of the cached entries: how many are unresolved ropes or 16-bit strings, and their mean length. */
function entryStrings() {
  const fields = ['key', 'token', 'body', 'subject'] as const;
  const out: Record<string, { ropes: number; sixteenBit: number; meanLength: number }> = {};
  let n = 0;
  let entryObjectBytes = 0;
  for (const f of fields) out[f] = { ropes: 0, sixteenBit: 0, meanLength: 0 };
  for (const entry of agent.cache.entries()) {
    n++;
    entryObjectBytes += jsc!.estimateShallowMemoryUsageOf(entry);
    for (const f of fields) {
      const value = entry[f];
      const described = jsc!.jscDescribe(value);
      const o = out[f]!;
      if (described.includes('(rope)')) o.ropes++;
      if (!described.includes('8Bit:(1)')) o.sixteenBit++;
      o.meanLength += value.length;
    }
  }
  for (const f of fields) out[f]!.meanLength = n === 0 ? 0 : Math.round(out[f]!.meanLength / n);
  return { entries: n, entryObjectBytes: n === 0 ? 0 : Math.round(entryObjectBytes / n), ...out };
}
if (heapStatsFile !== undefined) {
  process.on('SIGUSR1', () => {
    Bun.gc(true);
    const stats = jsc!.heapStats();
    writeFileSync(
      `${heapStatsFile}.tmp`,
      JSON.stringify({ ...stats, strings: entryStrings(), at: Date.now() }),
    );
    renameSync(`${heapStatsFile}.tmp`, heapStatsFile);
  });
}

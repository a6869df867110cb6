// Scenario 1, hot path: cache hits over keep-alive vs a bare Bun.serve and nginx answering the same bytes,
// at 1/16/64/256 connections (wrk, alternating A/B/C repetitions); plus the agent with vs without metrics.
import { getCredentials, startAgentProcess } from './lib/agent.ts';
import { startBareBun } from './lib/bare-bun.ts';
import { startEmulatorProcess } from './lib/emulator.ts';
import { NGINX_INSTALL_HINT, nginxBinary, startNginx } from './lib/nginx.ts';
import { freePort } from './lib/ports.ts';
import type { BenchContext, Row, Scenario, ScenarioResult, TargetResult } from './lib/scenario.ts';
import { fmtRatio } from './lib/scenario.ts';
import { median, ratio, round } from './lib/stats.ts';
import { hasWrk, runWrk, WRK_INSTALL_HINT, type WrkResult } from './lib/wrk.ts';

const CONNECTIONS = [1, 16, 64, 256];

interface Target {
  name: string;
  url: string;
}

/** Runs every target in turn, rotating the order each repetition so drift and noise hit all of them. */
async function alternate(
  targets: Target[],
  reps: number,
  measure: (t: Target) => Promise<WrkResult>,
): Promise<Map<string, WrkResult[]>> {
  const results = new Map<string, WrkResult[]>(targets.map((t) => [t.name, []]));
  for (let r = 0; r < reps; r++) {
    for (let i = 0; i < targets.length; i++) {
      const t = targets[(i + r) % targets.length]!;
      const result = await measure(t);
      if (result.failures > 0) throw new Error(`${t.name}: ${result.failures} failed requests under load`);
      results.get(t.name)!.push(result);
    }
  }
  return results;
}

function summarise(runs: WrkResult[]) {
  return {
    rps: median(runs.map((r) => r.requestsPerSec)),
    p50: median(runs.map((r) => r.p50Ms)),
    p99: median(runs.map((r) => r.p99Ms)),
  };
}

export const hot: Scenario = {
  name: 'hot',
  title: 'Hot path: cache hits over keep-alive',
  async run(ctx: BenchContext): Promise<ScenarioResult> {
    const base = { name: 'hot', title: this.title };
    if (!hasWrk()) {
      return { ...base, rows: [], notes: [], targets: [], skipped: WRK_INSTALL_HINT };
    }
    const durationSec = ctx.quick ? 1 : 3;
    const reps = ctx.quick ? 1 : 3;
    const rows: Row[] = [];
    const targets: TargetResult[] = [];
    const notes: string[] = [];
    const emulator = await startEmulatorProcess();
    const stops: Array<() => Promise<void>> = [emulator.stop];
    try {
      const [token] = await emulator.issueTokens(1);
      const agent = await startAgentProcess({ emulatorUrl: emulator.url });
      stops.push(agent.stop);
      const body = await getCredentials(agent.credentialsUrl, token!);
      const bun = await startBareBun(body);
      stops.push(bun.stop);
      const list: Target[] = [
        { name: 'agent', url: agent.credentialsUrl },
        { name: 'bun', url: bun.url },
      ];
      if (nginxBinary()) {
        const nginx = await startNginx(await freePort(), body);
        stops.push(nginx.stop);
        list.push({ name: 'nginx', url: nginx.url });
      } else {
        notes.push(`nginx baseline skipped: ${NGINX_INSTALL_HINT}`);
      }
      const headers = { authorization: token! };
      for (const connections of CONNECTIONS) {
        ctx.log(`hot: ${connections} connections`);
        const results = await alternate(list, reps, (t) =>
          runWrk({ url: t.url, connections, durationSec, headers }),
        );
        const a = summarise(results.get('agent')!);
        const b = summarise(results.get('bun')!);
        const n = results.has('nginx') ? summarise(results.get('nginx')!) : undefined;
        const values: Record<string, number | string> = {
          'agent req/s': round(a.rps),
          'bun req/s': round(b.rps),
          'agent/bun rps': round(ratio(a.rps, b.rps)),
          'agent p50 ms': round(a.p50),
          'agent p99 ms': round(a.p99),
          'bun p99 ms': round(b.p99),
          'p50 ratio': round(ratio(a.p50, b.p50)),
          'p99 ratio': round(ratio(a.p99, b.p99)),
        };
        if (n) {
          values['nginx req/s'] = round(n.rps);
          values['agent/nginx rps'] = round(ratio(a.rps, n.rps));
          values['p99 vs nginx'] = round(ratio(a.p99, n.p99));
        }
        rows.push({ label: `${connections} conn`, values });
        if (connections === 64) {
          const rpsRatio = ratio(a.rps, b.rps);
          const p99Ratio = ratio(a.p99, b.p99);
          targets.push({
            name: 'hot path throughput @64',
            target: '>= 0.9x bare Bun.serve',
            measured: fmtRatio(rpsRatio),
            pass: rpsRatio >= 0.9,
          });
          targets.push({
            name: 'hot path p99 @64',
            target: '<= 1.3x bare Bun.serve',
            measured: `${fmtRatio(p99Ratio)} (${round(a.p99)} vs ${round(b.p99)} ms)`,
            pass: p99Ratio <= 1.3,
          });
        }
      }
      await metricsCost(ctx, emulator.url, token!, durationSec, reps, rows, stops);
      notes.push(
        'wrk -t1 (one loader thread, leaving the other core to the server); nginx 1 worker, keepalive_requests raised; ' +
          `${reps} alternating repetitions of ${durationSec} s per target, medians shown.`,
      );
      return { ...base, rows, targets, notes };
    } finally {
      for (const stop of stops.reverse()) await stop();
    }
  },
};

/** The agent (bench variant, in-process startAgent) with its hot-path metrics on vs replaced by no-ops. */
async function metricsCost(
  ctx: BenchContext,
  emulatorUrl: string,
  token: string,
  durationSec: number,
  reps: number,
  rows: Row[],
  stops: Array<() => Promise<void>>,
): Promise<void> {
  ctx.log('hot: metrics on vs off @64');
  const on = await startAgentProcess({ emulatorUrl, entry: 'variant', args: ['--bench-metrics', 'on'] });
  stops.push(on.stop);
  const off = await startAgentProcess({ emulatorUrl, entry: 'variant', args: ['--bench-metrics', 'off'] });
  stops.push(off.stop);
  await getCredentials(on.credentialsUrl, token);
  await getCredentials(off.credentialsUrl, token);
  const list = [
    { name: 'on', url: on.credentialsUrl },
    { name: 'off', url: off.credentialsUrl },
  ];
  const results = await alternate(list, reps, (t) =>
    runWrk({ url: t.url, connections: 64, durationSec, headers: { authorization: token } }),
  );
  const a = summarise(results.get('on')!);
  const b = summarise(results.get('off')!);
  rows.push({
    label: 'metrics on/off @64',
    values: {
      'on req/s': round(a.rps),
      'off req/s': round(b.rps),
      'on/off rps': round(ratio(a.rps, b.rps)),
      'on p99 ms': round(a.p99),
      'off p99 ms': round(b.p99),
    },
  });
}

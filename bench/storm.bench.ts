// Scenario 3, pod-start storm with signature verification (--token-issuer): many distinct new tokens at once,
// the agent verifying inline (--workers 0) vs on a pool (--workers 2). Two storms: new pods (verify + one EKS
// Auth call each) and rotated tokens of already-cached pods (verify only: the cache is keyed by identity).
// A separate prober process measures cache-hit latency during each storm vs idle.
import { defaultWorkers } from '../src/config/server-config.ts';
import { type AgentProcess, getCredentials, startAgentProcess } from './lib/agent.ts';
import { type EmulatorProcess, startEmulatorProcess } from './lib/emulator.ts';
import { requestEachToken } from './lib/load.ts';
import { probeDuring } from './lib/prober.ts';
import type { BenchContext, Row, Scenario, ScenarioResult } from './lib/scenario.ts';
import { fmtRatio } from './lib/scenario.ts';
import { median, ratio, round } from './lib/stats.ts';

const CONCURRENCY = 64;
const DEFAULT_WORKERS = defaultWorkers(navigator.hardwareConcurrency);
const LABELS = { new: 'new pods', rotated: 'rotated tokens', hits: 'cache hits only (client ceiling)' };
const ROTATED_PODS = 32;
const IDLE_PROBE_MS = 1500;

type Kind = 'new' | 'rotated' | 'hits';
interface Counts {
  fresh: number;
  rotated: number;
}

interface Variant {
  name: string;
  /** undefined: the agent's default pool size (cores - 1, 1..4). */
  workers: number | undefined;
  agent?: AgentProcess;
  hotToken?: string;
  runs: { kind: Kind; perSec: number; p99: number; p50: number }[];
  idle: { p50: number; p99: number }[];
}

interface StormTokens {
  /** One token per new pod. */
  fresh: string[];
  /** One token per already-cached pod, warmed before the storm. */
  warm: string[];
  /** Fresh tokens cycling over the warmed pods. */
  rotated: string[];
}

/** Tokens for one repetition, shared by both agents (each has its own cache, so each token is new to each). */
async function issueStormTokens(
  emulator: EmulatorProcess,
  counts: Counts,
  rep: number,
): Promise<StormTokens> {
  const opts = { concurrency: 32 };
  return {
    fresh: await emulator.issueTokens(counts.fresh, { ...opts, prefix: `new-${rep}` }),
    warm: await emulator.issueTokens(ROTATED_PODS, { ...opts, prefix: `rot-${rep}` }),
    rotated: await emulator.issueTokens(counts.rotated, {
      ...opts,
      prefix: `rot-${rep}`,
      pods: ROTATED_PODS,
    }),
  };
}

async function stormOnce(v: Variant, kind: Kind, tokens: readonly string[]): Promise<void> {
  const url = v.agent!.credentialsUrl;
  const { probe, result } = await probeDuring(url, v.hotToken!, () =>
    requestEachToken(url, tokens, CONCURRENCY),
  );
  if (result.failed > 0) throw new Error(`${v.name} ${kind} storm: ${JSON.stringify(result.failures)}`);
  v.runs.push({ kind, perSec: (tokens.length * 1000) / result.ms, p50: probe.p50Ms, p99: probe.p99Ms });
}

export const storm: Scenario = {
  name: 'storm',
  title: 'Pod-start storm with signature verification: --workers 0 vs --workers 2',
  async run(ctx: BenchContext): Promise<ScenarioResult> {
    const counts: Counts = ctx.quick ? { fresh: 500, rotated: 1000 } : { fresh: 3000, rotated: 8000 };
    const reps = ctx.quick ? 1 : 3;
    const emulator = await startEmulatorProcess();
    const variants: Variant[] = [
      { name: 'inline', workers: 0, runs: [], idle: [] },
      { name: 'pool', workers: 2, runs: [], idle: [] },
      { name: 'default', workers: undefined, runs: [], idle: [] },
    ];
    try {
      const [hotToken] = await emulator.issueTokens(1, { prefix: 'hot' });
      for (const v of variants) {
        // Both agents serve the same hot pod (one token), so the hit storm is identical for both.
        v.agent = await startAgentProcess({
          emulatorUrl: emulator.url,
          args: [
            '--token-issuer',
            emulator.url,
            ...(v.workers === undefined ? [] : ['--workers', String(v.workers)]),
            '--max-cache-size',
            '20000',
          ],
        });
        v.hotToken = hotToken;
        await getCredentials(v.agent.credentialsUrl, v.hotToken!);
      }
      for (let r = 0; r < reps; r++) {
        ctx.log(`storm: issuing tokens for repetition ${r + 1}/${reps}`);
        const tokens = await issueStormTokens(emulator, counts, r);
        const hits = new Array<string>(counts.rotated).fill(variants[0]!.hotToken!);
        for (let i = 0; i < variants.length; i++) {
          const v = variants[(i + r) % variants.length]!;
          ctx.log(`storm: ${v.name} repetition ${r + 1}/${reps}`);
          const idle = await probeDuring(v.agent!.credentialsUrl, v.hotToken!, () =>
            Bun.sleep(IDLE_PROBE_MS),
          );
          v.idle.push({ p50: idle.probe.p50Ms, p99: idle.probe.p99Ms });
          await stormOnce(v, 'new', tokens.fresh);
          const warm = await requestEachToken(v.agent!.credentialsUrl, tokens.warm, 8);
          if (warm.failed > 0) throw new Error(`warming pods failed: ${JSON.stringify(warm.failures)}`);
          await stormOnce(v, 'rotated', tokens.rotated);
          // The same client sending only cache hits: the ceiling this client and machine reach.
          await stormOnce(v, 'hits', hits);
        }
      }
      const rows: Row[] = [];
      const perSec: Record<string, Record<string, number>> = {};
      for (const v of variants) {
        const idleP99 = median(v.idle.map((x) => x.p99));
        for (const kind of ['new', 'rotated', 'hits'] as const) {
          const runs = v.runs.filter((x) => x.kind === kind);
          const rate = median(runs.map((x) => x.perSec));
          perSec[kind] ??= {};
          perSec[kind][v.name] = rate;
          const p99 = median(runs.map((x) => x.p99));
          rows.push({
            label: `${v.name} (${v.workers === undefined ? `default: ${DEFAULT_WORKERS}` : v.workers} workers), ${LABELS[kind]}`,
            values: {
              'tokens/s': round(rate),
              'hit p50 ms (storm)': round(median(runs.map((x) => x.p50))),
              'hit p99 ms (storm)': round(p99),
              'hit p99 ms (idle)': round(idleP99),
              'p99 storm/idle': round(ratio(p99, idleP99)),
            },
          });
        }
      }
      const newRatio = ratio(perSec['new']!['pool']!, perSec['new']!['inline']!);
      const rotRatio = ratio(perSec['rotated']!['pool']!, perSec['rotated']!['inline']!);
      return {
        name: 'storm',
        title: this.title,
        rows,
        targets: [
          {
            name: 'storm throughput, new pods',
            target: 'pool >= 1.6x inline',
            measured: fmtRatio(newRatio),
            pass: newRatio >= 1.6,
          },
          {
            name: 'storm throughput, rotated tokens (verify only)',
            target: 'pool >= 1.6x inline',
            measured: fmtRatio(rotRatio),
            pass: rotRatio >= 1.6,
          },
        ],
        notes: [
          `${counts.fresh} new-pod tokens and ${counts.rotated} rotated tokens per storm, ${CONCURRENCY} requests in flight (fetch keep-alive), ${reps} alternating repetitions; medians.`,
          `New pods: each token is a new pod identity (verify + one EKS Auth call to the emulator, which runs on the same 2 cores). Rotated tokens: fresh tokens for ${ROTATED_PODS} pods already cached (verify, then a hit by identity).`,
          'Hit latency: a separate prober process sends one cache-hit request at a time (1 ms pause) during the storm and for 1.5 s idle.',
        ],
      };
    } finally {
      for (const v of variants) await v.agent?.stop();
      await emulator.stop();
    }
  },
};

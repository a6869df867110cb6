// Junk-token flood: one address (127.0.0.2) sends 80 new tokens a second that have a valid shape and a forged
// signature (in claims mode each costs a real EKS Auth call, answered InvalidTokenException), while 60 new
// pods on another address (127.0.0.1) start with botocore's container-provider loop. Once with EKS Auth
// admitting 20 calls/s, once with EKS Auth answering in 600 ms; each beside the same pods without the flood,
// measured in the same run. Reports the share of pods served within botocore's retry window.
import { startAgentProcess } from './lib/agent.ts';
import { botocoreLoop, type PodOutcome } from './lib/botocore-loop.ts';
import { type EmulatorProcess, startEmulatorProcess } from './lib/emulator.ts';
import { oneRequest } from './lib/raw-http.ts';
import type { BenchContext, Row, Scenario, ScenarioResult } from './lib/scenario.ts';
import { median, round } from './lib/stats.ts';

const PODS = 60;
const FLOOD_PER_SECOND = 80;
/** The flood starts this long before the pods, so they arrive into a queue already full of junk. */
const FLOOD_LEAD_MS = 1_000;
const FLOOD_READ_TIMEOUT_MS = 5_000;
const CONDITIONS = [
  { name: 'EKS Auth at 20 calls/s', faults: { maxTps: 20 } },
  { name: 'EKS Auth at 600 ms', faults: { latencyMs: 600 } },
] as const;
const TARGET_SHARE = 0.95;

/** Valid shape, forged signature: claims checks pass, EKS Auth refuses it. Distinct tokens (pod UIDs). */
function forge(token: string): string {
  const [h, p] = token.split('.');
  return `${h}.${p}.${Buffer.from('forged-signature'.repeat(16)).toString('base64url')}`;
}

/** Sends a new junk token every 1000/FLOOD_PER_SECOND ms until stopped; answers are not waited for. */
function startFlood(url: URL, junk: string[]) {
  let i = 0;
  const pending: Promise<unknown>[] = [];
  const counts: Record<string, number> = {};
  const timer = setInterval(() => {
    const token = junk[i++ % junk.length]!;
    pending.push(
      oneRequest(url, { authorization: token }, FLOOD_READ_TIMEOUT_MS, '127.0.0.2').then((a) => {
        counts[a.status] = (counts[a.status] ?? 0) + 1;
      }),
    );
  }, 1000 / FLOOD_PER_SECOND);
  return {
    async stop() {
      clearInterval(timer);
      await Promise.all(pending);
      return { sent: i, counts };
    },
  };
}

async function podsStart(url: URL, tokens: string[]): Promise<PodOutcome[]> {
  return await Promise.all(tokens.map((t) => botocoreLoop(url, t, '127.0.0.1')));
}

/** Waits (bounded) until EKS Auth sees no call for a second: the flood's queued calls go on after it stops. */
async function drained(emulator: EmulatorProcess): Promise<void> {
  const limit = Date.now() + 20_000;
  let last = (await emulator.stats()).assumeRoleCalls;
  while (Date.now() < limit) {
    await Bun.sleep(1_000);
    const now = (await emulator.stats()).assumeRoleCalls;
    if (now === last) return;
    last = now;
  }
}

async function runOnce(
  emulator: EmulatorProcess,
  url: URL,
  faults: Record<string, unknown>,
  flooded: boolean,
  tag: string,
) {
  const tokens = await emulator.issueTokens(PODS, { prefix: `flood-pods-${tag}`, concurrency: 16 });
  const junk = flooded
    ? (await emulator.issueTokens(FLOOD_PER_SECOND * 14, { prefix: `junk-${tag}`, concurrency: 32 })).map(
        forge,
      )
    : [];
  await emulator.setFaults(faults);
  const before = await emulator.stats();
  const flood = flooded ? startFlood(url, junk) : undefined;
  if (flood) await Bun.sleep(FLOOD_LEAD_MS);
  const outcomes = await podsStart(url, tokens);
  const floodResult = await flood?.stop();
  const after = await emulator.stats();
  await emulator.resetFaults();
  await drained(emulator);
  const okMs = outcomes.filter((o) => o.ok).map((o) => o.ms);
  return {
    share: okMs.length / PODS,
    p50: median(okMs),
    calls: after.assumeRoleCalls - before.assumeRoleCalls,
    junkSent: floodResult?.sent ?? 0,
    junkAnswers: floodResult?.counts ?? {},
  };
}

export const flood: Scenario = {
  name: 'flood',
  title: `Junk-token flood: ${FLOOD_PER_SECOND} forged tokens/s from one address while ${PODS} pods start from another`,
  async run(ctx: BenchContext): Promise<ScenarioResult> {
    const reps = ctx.quick ? 1 : 3;
    const emulator = await startEmulatorProcess();
    const stops: Array<() => Promise<void>> = [emulator.stop];
    try {
      // Default flags (claims mode, the default per-client rate limit): what a node runs.
      const agent = await startAgentProcess({
        emulatorUrl: emulator.url,
        defaultLimits: true,
        args: ['--verify-tokens', 'claims'],
      });
      stops.push(agent.stop);
      const url = new URL(agent.credentialsUrl);
      const rows: Row[] = [];
      const targets: ScenarioResult['targets'][number][] = [];
      for (const condition of CONDITIONS) {
        const shares: number[] = [];
        for (let r = 0; r < reps; r++) {
          for (const flooded of [false, true]) {
            ctx.log(
              `flood: ${condition.name}, ${flooded ? 'flooded' : 'quiet'}, repetition ${r + 1}/${reps}`,
            );
            const x = await runOnce(
              emulator,
              url,
              condition.faults,
              flooded,
              `${condition.name.length}-${r}-${flooded}`,
            );
            if (flooded) shares.push(x.share);
            rows.push({
              label: `${condition.name}, ${flooded ? 'flooded' : 'quiet'}, repetition ${r + 1}`,
              values: {
                'pods served in window': `${round(x.share * PODS)}/${PODS}`,
                'time to creds p50 ms': round(x.p50),
                'EKS Auth calls': x.calls,
                'junk sent': x.junkSent,
                'junk answers': Object.entries(x.junkAnswers)
                  .map(([s, n]) => `${s}:${n}`)
                  .join(' '),
              },
            });
          }
        }
        const share = median(shares);
        targets.push({
          name: `flood: pods served, ${condition.name}`,
          target: `>= ${TARGET_SHARE * 100}%`,
          measured: `${round(share * 100)}% (median of ${reps}; per run ${shares.map((s) => round(s * PODS)).join(', ')} of ${PODS})`,
          pass: share >= TARGET_SHARE,
        });
      }
      return {
        name: 'flood',
        title: this.title,
        rows,
        targets,
        notes: [
          'Pods: botocore container-provider loop (3 attempts, 1 s apart, 2 s read timeout), all at once from 127.0.0.1.',
          `Flooder: a new forged token every ${1000 / FLOOD_PER_SECOND} ms from 127.0.0.2, starting ${FLOOD_LEAD_MS} ms before the pods, until they are done.`,
          'Agent: --verify-tokens claims, default --rate-limit-per-client (100/s), default patience and upstream concurrency.',
        ],
      };
    } finally {
      for (const stop of stops.reverse()) await stop();
    }
  },
};

// An upstream answering 500 with a huge message (1 MB, and 64,000 characters: the most of one the agent
// reads, so all of it reaches the sanitiser) while new pods start: event-loop lag (the agent's own
// pod_identity_event_loop_lag_seconds, the largest lag between two scrapes) and cached pods' hit p99 (a
// separate prober process) against the same agent idle, and against the same storm answered with a short
// message, in the same run. Target: both within 2x idle. On a loaded machine the lag includes waiting for a
// core, which the short-message storm shows.
// Usage: npx bun bench/hostile-upstream.bench.ts [REPS]
import { getCredentials, startAgentProcess } from './lib/agent.ts';
import { startEmulatorProcess } from './lib/emulator.ts';
import { requestEachToken } from './lib/load.ts';
import { probeDuring } from './lib/prober.ts';
import { median, ratio, round } from './lib/stats.ts';

const REPS = Number(process.argv[2] ?? 3);
const NEW_PODS = 200;
const CONCURRENCY = 32;
const MESSAGE_SIZES = [1_048_576, 64_000];

async function lagMs(metricsUrl: string): Promise<number> {
  const text = await (await fetch(metricsUrl)).text();
  return 1000 * Number(/^pod_identity_event_loop_lag_seconds (\S+)$/m.exec(text)?.[1] ?? Number.NaN);
}

interface Sample {
  lagMs: number;
  p99Ms: number;
  ms: number;
}

const emulator = await startEmulatorProcess();
const agent = await startAgentProcess({ emulatorUrl: emulator.url, args: ['--token-issuer', emulator.url] });
const rows: Record<string, Sample[]> = { idle: [] };
try {
  const [hot] = await emulator.issueTokens(1, { prefix: 'hot' });
  await getCredentials(agent.credentialsUrl, hot!);
  for (let rep = 0; rep < REPS; rep++) {
    for (const size of [0, -1, ...MESSAGE_SIZES]) {
      const name =
        size === 0 ? 'idle' : size < 0 ? '500 with a short message' : `500 with ${size}-char message`;
      const tokens = await emulator.issueTokens(NEW_PODS, { prefix: `r${rep}-${size}`, concurrency: 32 });
      if (size !== 0) {
        await emulator.setFaults({
          failWith: 'InternalServerException',
          ...(size > 0 ? { failMessageChars: size } : {}),
        });
      }
      await lagMs(agent.metricsUrl); // resets the largest-lag window
      const startedAt = performance.now();
      const { probe } = await probeDuring(agent.credentialsUrl, hot!, async () => {
        if (size === 0) await Bun.sleep(2_000);
        else await requestEachToken(agent.credentialsUrl, tokens, CONCURRENCY);
      });
      const sample = {
        lagMs: await lagMs(agent.metricsUrl),
        p99Ms: probe.p99Ms,
        ms: performance.now() - startedAt,
      };
      if (probe.errors > 0) throw new Error(`${name}: ${probe.errors} cached-pod requests failed`);
      rows[name] = [...(rows[name] ?? []), sample];
      await emulator.resetFaults();
    }
  }
} finally {
  await agent.stop();
  await emulator.stop();
}

const idleLag = median(rows.idle!.map((s) => s.lagMs));
const idleP99 = median(rows.idle!.map((s) => s.p99Ms));
console.log(`medians of ${REPS} runs; ${NEW_PODS} new pods, ${CONCURRENCY} at a time, per storm`);
console.log('| window | event-loop lag max (ms) | x idle | cached-pod hit p99 (ms) | x idle | window (ms) |');
console.log('|---|---|---|---|---|---|');
for (const [name, samples] of Object.entries(rows)) {
  const lag = median(samples.map((s) => s.lagMs));
  const p99 = median(samples.map((s) => s.p99Ms));
  console.log(
    `| ${name} | ${round(lag)} | ${round(ratio(lag, idleLag))} | ${round(p99)} | ${round(ratio(p99, idleP99))} | ${round(median(samples.map((s) => s.ms)))} |`,
  );
}

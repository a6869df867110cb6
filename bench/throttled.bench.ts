// Scenario 4, throttled upstream: 300 new pods at once while EKS Auth admits 50 calls/s. Each pod's client
// follows botocore's container-provider loop (3 attempts, 1 s apart, 2 s read timeout, a new connection per
// attempt). Reports the share that got credentials within that window and the upstream calls it took.
import { startAgentProcess } from './lib/agent.ts';
import { ATTEMPTS, botocoreLoop, READ_TIMEOUT_MS, RETRY_PAUSE_MS } from './lib/botocore-loop.ts';
import { startEmulatorProcess } from './lib/emulator.ts';
import type { BenchContext, Row, Scenario, ScenarioResult } from './lib/scenario.ts';
import { median, percentile, round } from './lib/stats.ts';

const PODS = 300;
const MAX_TPS = 50;
export const throttled: Scenario = {
  name: 'throttled',
  title: `Throttled upstream: ${PODS} new pods, EKS Auth limited to ${MAX_TPS} calls/s`,
  async run(ctx: BenchContext): Promise<ScenarioResult> {
    const reps = ctx.quick ? 1 : 3;
    const emulator = await startEmulatorProcess();
    const stops: Array<() => Promise<void>> = [emulator.stop];
    try {
      const agent = await startAgentProcess({
        emulatorUrl: emulator.url,
        args: ['--max-cache-size', '20000'],
      });
      stops.push(agent.stop);
      const url = new URL(agent.credentialsUrl);
      const runs: Array<{
        ceiling: number;
        share: number;
        calls: number;
        throttled: number;
        callsAfter: number;
        p50: number;
        p99: number;
        byAttempt: number[];
      }> = [];
      for (let r = 0; r < reps; r++) {
        ctx.log(`throttled: repetition ${r + 1}/${reps}`);
        const tokens = await emulator.issueTokens(PODS, { prefix: `throttled-${r}`, concurrency: 32 });
        await emulator.setFaults({ maxTps: MAX_TPS });
        const before = await emulator.stats();
        const firstSentAt = Date.now();
        const outcomes = await Promise.all(tokens.map((t) => botocoreLoop(url, t)));
        const atEnd = await emulator.stats();
        // Calls the agent still makes after the clients gave up (they fill the cache for the next try).
        await Bun.sleep(3000);
        const settled = await emulator.stats();
        await emulator.resetFaults();
        const okMs = outcomes.filter((o) => o.ok).map((o) => o.ms);
        // At best every admitted call serves one pod: EKS Auth's bucket (the emulator's, default burst = one
        // second's calls) is full at the first send, so MAX_TPS at once, then MAX_TPS a second until the last
        // attempt's read timeout ends (an agent holding that request until then).
        const lastSentAt = Math.max(...outcomes.map((o) => o.lastSentAt));
        const admittable =
          MAX_TPS + Math.floor(((lastSentAt + READ_TIMEOUT_MS - firstSentAt) * MAX_TPS) / 1000);
        runs.push({
          ceiling: Math.min(1, admittable / PODS),
          share: okMs.length / PODS,
          calls: atEnd.assumeRoleCalls - before.assumeRoleCalls,
          throttled: atEnd.throttled - before.throttled,
          callsAfter: settled.assumeRoleCalls - atEnd.assumeRoleCalls,
          p50: median(okMs),
          p99: percentile(okMs, 99),
          byAttempt: [1, 2, 3].map((n) => outcomes.filter((o) => o.ok && o.attempts === n).length),
        });
      }
      const share = median(runs.map((x) => x.share));
      const rows: Row[] = runs.map((x, i) => ({
        label: `repetition ${i + 1}`,
        values: {
          'within window': `${round(x.share * 100)}%`,
          'upstream ceiling': `${round(x.ceiling * 100)}%`,
          'ok on attempt 1/2/3': x.byAttempt.join('/'),
          'upstream calls in window': x.calls,
          'of them throttled': x.throttled,
          'calls after window': x.callsAfter,
          'time to creds p50 ms': round(x.p50),
          'time to creds p99 ms': round(x.p99),
        },
      }));
      return {
        name: 'throttled',
        title: this.title,
        rows,
        targets: [
          {
            name: 'throttled: share within retry window',
            target: '>= 98%',
            measured: `${round(share * 100)}% (median of ${reps}), ${median(runs.map((x) => x.calls))} upstream calls`,
            pass: share >= 0.98,
          },
        ],
        notes: [
          `Client: ${ATTEMPTS} attempts, ${RETRY_PAUSE_MS} ms apart, ${READ_TIMEOUT_MS} ms read timeout, new connection each (botocore's container provider).`,
          `Upstream ceiling: (${MAX_TPS} at once + ${MAX_TPS}/s from the first send to the last attempt's read timeout) / ${PODS} pods: no agent can serve more, since each pod needs one admitted call.`,
          `Emulator: a token bucket admitting ${MAX_TPS} AssumeRoleForPodIdentity calls/s, ${MAX_TPS} deep (a 1 s burst), full at the start; throttled calls count as calls and take no token.`,
        ],
      };
    } finally {
      for (const stop of stops.reverse()) await stop();
    }
  },
};

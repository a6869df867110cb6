// Scenario 5, memory: whole-process RSS of the agent (VmRSS; worker threads share the process) idle, under
// hot load, and holding 10,000 cached entries; a bare Bun.serve's idle RSS alongside as the floor.
import { cacheEntries, getCredentials, startAgentProcess } from './lib/agent.ts';
import { startBareBun } from './lib/bare-bun.ts';
import { startEmulatorProcess } from './lib/emulator.ts';
import { requestEachToken } from './lib/load.ts';
import { rssMb, settledRssMb } from './lib/processes.ts';
import type { BenchContext, Scenario, ScenarioResult, TargetResult } from './lib/scenario.ts';
import { round } from './lib/stats.ts';
import { hasWrk, runWrk } from './lib/wrk.ts';

const ENTRIES_TARGET = 10_000;

/** The same fill on the real CLI run as `bun --smol` (Bun's smaller-heap mode), no forced collection. */
async function filledUnderSmol(
  emulatorUrl: string,
  tokens: string[],
  stops: Array<() => Promise<void>>,
): Promise<{ idle: number; filled: number }> {
  const agent = await startAgentProcess({
    emulatorUrl,
    bunFlags: ['--smol'],
    args: ['--max-cache-size', '20000', '--max-upstream-concurrency', '64'],
  });
  stops.push(agent.stop);
  await Bun.sleep(1000);
  const idle = await settledRssMb(agent.child.pid);
  const fill = await requestEachToken(agent.credentialsUrl, tokens, 64);
  if (fill.failed > 0) throw new Error(`cache fill failed: ${JSON.stringify(fill.failures)}`);
  await Bun.sleep(1000);
  return { idle, filled: await settledRssMb(agent.child.pid) };
}

/** The same fill on the bench variant of the agent, measured after a forced full collection. */
async function filledAfterFullGc(
  emulatorUrl: string,
  tokens: string[],
  stops: Array<() => Promise<void>>,
): Promise<{ idle: number; filled: number }> {
  const agent = await startAgentProcess({
    emulatorUrl,
    entry: 'variant',
    args: ['--bench-metrics', 'on', '--max-cache-size', '20000', '--max-upstream-concurrency', '64'],
  });
  stops.push(agent.stop);
  const gc = async () => {
    agent.child.proc.kill('SIGUSR2');
    await Bun.sleep(500);
  };
  await gc();
  const idle = await settledRssMb(agent.child.pid);
  const fill = await requestEachToken(agent.credentialsUrl, tokens, 64);
  if (fill.failed > 0) throw new Error(`cache fill failed: ${JSON.stringify(fill.failures)}`);
  await gc();
  const filled = await settledRssMb(agent.child.pid);
  return { idle, filled };
}

export const memory: Scenario = {
  name: 'memory',
  title: 'Memory: agent RSS idle, under hot load, with 10,000 cached entries',
  async run(ctx: BenchContext): Promise<ScenarioResult> {
    const entries = ctx.quick ? 2000 : ENTRIES_TARGET;
    const emulator = await startEmulatorProcess();
    const stops: Array<() => Promise<void>> = [emulator.stop];
    try {
      const agent = await startAgentProcess({
        emulatorUrl: emulator.url,
        args: ['--max-cache-size', '20000', '--max-upstream-concurrency', '64'],
      });
      stops.push(agent.stop);
      const pid = agent.child.pid;
      const bare = await startBareBun('{}');
      stops.push(bare.stop);
      await Bun.sleep(1000);
      const idle = await settledRssMb(pid);
      const bareIdle = await settledRssMb(bare.child.pid);

      ctx.log('memory: hot load');
      const [hotToken] = await emulator.issueTokens(1, { prefix: 'hot' });
      await getCredentials(agent.credentialsUrl, hotToken!);
      let peak = 0;
      const sampler = setInterval(() => {
        peak = Math.max(peak, rssMb(pid));
      }, 100);
      if (hasWrk()) {
        await runWrk({
          url: agent.credentialsUrl,
          connections: 64,
          durationSec: ctx.quick ? 1 : 3,
          headers: { authorization: hotToken! },
        });
      } else {
        await requestEachToken(agent.credentialsUrl, new Array(50_000).fill(hotToken!), 64);
      }
      clearInterval(sampler);

      ctx.log(`memory: issuing ${entries} tokens`);
      const tokens = await emulator.issueTokens(entries, { prefix: 'fill', concurrency: 32 });
      ctx.log(`memory: filling the cache with ${entries} entries`);
      const fill = await requestEachToken(agent.credentialsUrl, tokens, 64);
      if (fill.failed > 0) throw new Error(`cache fill failed: ${JSON.stringify(fill.failures)}`);
      const held = await cacheEntries(agent.metricsUrl);
      await Bun.sleep(1000);
      const filled = await settledRssMb(pid);
      // Scaled to 10,000 entries in --quick mode (entries cost about the same each).
      const filledAt10k =
        entries === ENTRIES_TARGET ? filled : idle + ((filled - idle) * ENTRIES_TARGET) / entries;
      const perEntryKb = ((filled - idle) * 1024) / Math.max(1, held);
      const afterGc = await filledAfterFullGc(emulator.url, tokens, stops);
      const smol = await filledUnderSmol(emulator.url, tokens, stops);
      const targets: TargetResult[] = [
        { name: 'RSS idle', target: '<= 64 MB', measured: `${round(idle)} MB`, pass: idle <= 64 },
        {
          name: 'RSS with 10,000 entries',
          target: '<= 96 MB',
          measured: `${round(filledAt10k)} MB${entries === ENTRIES_TARGET ? '' : ` (scaled from ${entries})`}`,
          pass: filledAt10k <= 96,
        },
      ];
      return {
        name: 'memory',
        title: this.title,
        rows: [
          {
            label: 'VmRSS MB',
            values: {
              'agent idle': round(idle),
              'bare Bun.serve idle': round(bareIdle),
              'agent peak under hot load': round(peak),
              [`agent with ${held} entries`]: round(filled),
              'KB per entry (incl. heap growth)': round(perEntryKb),
              'same entries, after a full GC (bench variant)': round(afterGc.filled),
              'bench variant idle after GC': round(afterGc.idle),
              'bun --smol idle': round(smol.idle),
              'bun --smol with the same entries': round(smol.filled),
            },
          },
        ],
        targets,
        notes: [
          'The "after a full GC" figures come from bench/servers/agent-variant.ts (the same startAgent, SIGUSR2 runs Bun.gc(true)): they separate live entries from garbage the collector had not returned yet.',
          'Agent in claims mode (cache keyed by token) as a separate process; RSS is the median of 5 samples 200 ms apart; peak sampled every 100 ms under wrk 64 connections.',
        ],
      };
    } finally {
      for (const stop of stops.reverse()) await stop();
    }
  },
};

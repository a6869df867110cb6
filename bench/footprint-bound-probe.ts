// Idle memory against the cache's bound: one executable started in claims and in signature mode with each
// --max-cache-size given, RSS split into anonymous and file-backed pages (/proc/PID/smaps_rollup) once settled.
// The cache's memory should follow the entries it holds, not its bound (src/shared/lru.ts; README, footprint (8)).
// Usage: bun bench/footprint-bound-probe.ts EXECUTABLE ENV_JSON MAX_CACHE_SIZE...   (wrap it in flock /tmp/bench.lock)
//   e.g. bun bench/footprint-bound-probe.ts /tmp/agent '{"BUN_JSC_useFTLJIT":"0","BUN_JSC_useWarmUpMarkedBlocks":"0"}' 20000 2000
// Prints one line per bound and mode: MAX mode {"rss","anon","file"} in MB.
import { resolve } from 'node:path';
import { startAgentProcess } from './lib/agent.ts';
import { startEmulatorProcess } from './lib/emulator.ts';
import { rssPages } from './lib/probe-steps.ts';
import { settledRssMb, waitForOk } from './lib/processes.ts';

const [exe, envJson = '{}', ...bounds] = process.argv.slice(2);
if (!exe || bounds.length === 0)
  throw new Error('usage: footprint-bound-probe.ts EXECUTABLE ENV_JSON MAX_CACHE_SIZE...');
const env = JSON.parse(envJson) as Record<string, string>;
const emulator = await startEmulatorProcess();
try {
  for (const max of bounds) {
    for (const mode of ['claims', 'signature'] as const) {
      const agent = await startAgentProcess({
        emulatorUrl: emulator.url,
        command: [resolve(exe), 'server'],
        args: ['--max-cache-size', max, ...(mode === 'signature' ? ['--token-issuer', emulator.url] : [])],
        noWait: true,
        env,
      });
      try {
        await waitForOk(agent.readyUrl, 15_000, agent.child);
        await Bun.sleep(1_500);
        await settledRssMb(agent.child.pid);
        console.log(max, mode, JSON.stringify(rssPages(agent.child.pid)));
      } finally {
        await agent.stop();
      }
    }
  }
} finally {
  await emulator.stop();
}

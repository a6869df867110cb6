// How an executable's memory settles after a big fill (src/credentials/cache.ts's cold tier): one start, 10,000
// distinct-token misses from a client process, then RSS and pod_identity_cache_cold_entries every 1.5 s for
// 22.5 s: when the sweep packs the entries and when the runtime returns their unpacked strings.
// Usage: bun bench/cold-tier-watch.ts EXECUTABLE [ENV_JSON] [ENTRIES]   (README, footprint (7); wrap it in flock
// /tmp/bench.lock). ENV_JSON: the image's runtime environment from the Dockerfile by default. ENTRIES: 10,000 by
// default; 250 shows a busy node's settling, where nothing is packed.
// Prints one line: idle RSS, then "seconds after the fill: RSS MB / cold entries" pairs.
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { imageRuntimeEnv } from './footprint.bench.ts';
import { startAgentProcess } from './lib/agent.ts';
import { startEmulatorProcess } from './lib/emulator.ts';
import { fillFromClient } from './lib/probe-steps.ts';
import { waitForOk } from './lib/processes.ts';

const [
  exe,
  envJson = JSON.stringify(imageRuntimeEnv(readFileSync(resolve(import.meta.dir, '../Dockerfile'), 'utf8'))),
  count = '10000',
] = process.argv.slice(2);
if (!exe) throw new Error('usage: cold-tier-watch.ts EXECUTABLE [ENV_JSON] [ENTRIES]');
const ENTRIES = Number(count);
const dir = mkdtempSync(join(tmpdir(), 'pia-cold-watch-'));
const emulator = await startEmulatorProcess();
try {
  const issued = await emulator.issueTokens(ENTRIES, { prefix: 'cw', concurrency: 32 });
  writeFileSync(join(dir, 'tokens.txt'), issued.join('\n'));
  const agent = await startAgentProcess({
    emulatorUrl: emulator.url,
    command: [resolve(exe), 'server'],
    args: ['--max-cache-size', '20000', '--max-upstream-concurrency', '64'],
    noWait: true,
    env: JSON.parse(envJson) as Record<string, string>,
  });
  try {
    await waitForOk(agent.readyUrl, 15_000, agent.child);
    const pid = agent.child.pid;
    const rssMb = () =>
      Math.round(Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))![1]) / 102.4) / 10;
    const cold = async () => {
      const text = await (await fetch(agent.metricsUrl)).text();
      return /^pod_identity_cache_cold_entries (\S+)/m.exec(text)?.[1] ?? '?';
    };
    await Bun.sleep(1000);
    const idle = rssMb();
    await fillFromClient(agent.credentialsUrl, join(dir, 'tokens.txt'));
    const start = performance.now();
    const readings: string[] = [];
    for (let i = 0; i <= 15; i++) {
      readings.push(`${((performance.now() - start) / 1000).toFixed(1)}s: ${rssMb()} / ${await cold()}`);
      await Bun.sleep(1500);
    }
    console.log(`idle ${idle} MB; after the fill: ${readings.join(', ')}`);
  } finally {
    await agent.stop();
  }
} finally {
  await emulator.stop();
}

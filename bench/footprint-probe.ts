// Where one executable's memory goes, step by step (one start; the footprint scenario's steps without the floor):
// idle, 250 pods, 10,000 entries after the fill and after the runtime's idle GC, each split into anonymous and
// file-backed pages (/proc/PID/smaps_rollup), plus the main process's CPU per miss during the fill. With
// --max-cache-size 250 the same 10,000 misses leave 250 entries: the difference between the two runs is what the
// entries themselves cost, apart from what serving misses leaves behind (code pages, JIT, allocator state).
// Usage: bun bench/footprint-probe.ts EXECUTABLE [ENV_JSON] [MAX_CACHE_SIZE]
//   e.g. bun bench/footprint-probe.ts dist/eks-pod-identity-agent '{"BUN_JSC_useFTLJIT":"0"}' 250
// Prints one JSON line (MB, KB per entry, microseconds of CPU per miss). Wrap it in flock /tmp/bench.lock.
// IMDS_STAND_IN=1: the node's credentials come from an IMDS stand-in (src/emulator/imds.ts) instead of the
// environment, as on an EC2 node with an instance role (no keys in the agent's environment, no shared files).
// SHARED_FILE=1: from a shared credentials file with --rotate-credentials, as on a hybrid node.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { startImdsStandIn } from '../src/emulator/imds.ts';
import { cacheEntries, startAgentProcess } from './lib/agent.ts';
import { startEmulatorProcess } from './lib/emulator.ts';
import { cpuMs, fillFromClient as fill, settledPages } from './lib/probe-steps.ts';
import { waitForOk } from './lib/processes.ts';

const [exe, envJson = '{}', maxCache = '20000'] = process.argv.slice(2);
if (!exe) throw new Error('usage: footprint-probe.ts EXECUTABLE [ENV_JSON] [MAX_CACHE_SIZE]');
const PODS = 250;
const ENTRIES = 10_000;
const IDLE_GC_WAIT_MS = 20_000;

const dir = mkdtempSync(join(tmpdir(), 'pia-footprint-probe-'));
const emulator = await startEmulatorProcess();
// The emulator's SigV4 key pair (src/emulator/index.ts defaults), served as the instance role's credentials.
const imds =
  process.env['IMDS_STAND_IN'] === '1'
    ? startImdsStandIn({
        credentials: {
          accessKeyId: 'AKIAIOSFODNN7EXAMPLE',
          secretAccessKey: 'wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY',
          sessionToken: 'instance-role-session',
          expiration: new Date(Date.now() + 6 * 3600_000),
        },
      })
    : undefined;
const imdsEnv: Record<string, string> = imds
  ? {
      AWS_ACCESS_KEY_ID: '',
      AWS_SECRET_ACCESS_KEY: '',
      AWS_EC2_METADATA_SERVICE_ENDPOINT: imds.url,
      HOME: mkdtempSync(join(tmpdir(), 'pia-footprint-home-')),
    }
  : {};
const sharedFile = process.env['SHARED_FILE'] === '1';
if (sharedFile) {
  const path = join(dir, 'credentials');
  writeFileSync(
    path,
    '[default]\naws_access_key_id = AKIAIOSFODNN7EXAMPLE\naws_secret_access_key = wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY\n',
  );
  Object.assign(imdsEnv, {
    AWS_ACCESS_KEY_ID: '',
    AWS_SECRET_ACCESS_KEY: '',
    AWS_SHARED_CREDENTIALS_FILE: path,
    HOME: mkdtempSync(join(tmpdir(), 'pia-footprint-home-')),
  });
}
try {
  const issued = await emulator.issueTokens(ENTRIES, { prefix: 'fp', concurrency: 32 });
  writeFileSync(join(dir, 'pods.txt'), issued.slice(0, PODS).join('\n'));
  writeFileSync(join(dir, 'rest.txt'), issued.slice(PODS).join('\n'));
  const agent = await startAgentProcess({
    emulatorUrl: emulator.url,
    command: [resolve(exe), 'server'],
    args: [
      '--max-cache-size',
      maxCache,
      '--max-upstream-concurrency',
      '64',
      ...(sharedFile ? ['--rotate-credentials'] : []),
    ],
    noWait: true,
    env: { ...imdsEnv, ...(JSON.parse(envJson) as Record<string, string>) },
  });
  try {
    await waitForOk(agent.readyUrl, 15_000, agent.child);
    const pid = agent.child.pid;
    await Bun.sleep(1000);
    const idle = await settledPages(pid);
    await fill(agent.credentialsUrl, join(dir, 'pods.txt'));
    await Bun.sleep(1000);
    const pods = await settledPages(pid);
    const cpuBefore = cpuMs(pid);
    await fill(agent.credentialsUrl, join(dir, 'rest.txt'));
    const cpuUsPerMiss = Math.round(((cpuMs(pid) - cpuBefore) * 1000) / (ENTRIES - PODS));
    const held = await cacheEntries(agent.metricsUrl);
    const filled = await settledPages(pid);
    await Bun.sleep(IDLE_GC_WAIT_MS);
    const afterIdleGc = await settledPages(pid);
    const kb = (mb: number, n: number) => Math.round((mb * 1024 * 100) / n) / 100;
    console.log(
      JSON.stringify({
        idle,
        pods,
        filled,
        afterIdleGc,
        held,
        cpuUsPerMiss,
        // The footprint scenario's figure: everything since idle, over the entries held.
        perEntryKb: kb(afterIdleGc.rss - idle.rss, Math.max(1, held)),
        // Since the 250-pod step, whose misses already touched the miss path's code (none with a 250-entry cache).
        marginalKb: held > PODS ? kb(afterIdleGc.rss - pods.rss, held - PODS) : undefined,
      }),
    );
  } finally {
    await agent.stop();
  }
} finally {
  await emulator.stop();
  await imds?.stop();
  if (imdsEnv['HOME']) rmSync(imdsEnv['HOME'], { recursive: true, force: true });
  rmSync(dir, { recursive: true, force: true });
}

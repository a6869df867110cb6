// Does what serving misses leaves behind grow with the number of misses (something kept per miss) or level off
// (one-time costs: JIT code, code pages, the heap's high-water mark)? One start of an executable (or of the
// source), then distinct-token misses in steps to cumulative CHECKPOINTS; after each step the runtime's idle GC
// is waited for and RSS is read, split into anonymous and file-backed pages (/proc/PID/smaps_rollup). With a
// small --max-cache-size the entries kept stay the same from the first step on, so growth between the later
// steps is what misses leave behind.
// Usage: bun bench/footprint-residue-probe.ts EXECUTABLE|src [ENV_JSON] [MAX_CACHE_SIZE] [CHECKPOINTS] [WAIT_MS]
//   [UPSTREAM]   (UPSTREAM: --max-upstream-concurrency, 64 as in the footprint scenario; the fill runs 64 at once)
//   e.g. bun bench/footprint-residue-probe.ts /tmp/x/agent '{"BUN_JSC_useFTLJIT":"0"}' 250 1000,2500,5000,10000,20000
// `src` runs `bun bench/servers/agent-variant.ts` instead (the real agent from source, with --bench-heap-stats:
// each step also prints the JS heap's object counts after a full collection, from bun:jsc heapStats());
// `src-nogc` the same without heap stats, so no step forces a full collection.
// Prints one JSON line per step. Wrap it in flock /tmp/bench.lock.
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { cacheEntries, startAgentProcess } from './lib/agent.ts';
import { startEmulatorProcess } from './lib/emulator.ts';
import { fillFromClient as fill, mbOfKb, rssPages } from './lib/probe-steps.ts';
import { settledRssMb, waitForOk } from './lib/processes.ts';

const [
  exe,
  envJson = '{}',
  maxCache = '250',
  checkpointList = '1000,2500,5000,10000,20000',
  waitMs = '20000',
  upstream = '64',
] = process.argv.slice(2);
if (!exe) {
  throw new Error(
    'usage: footprint-residue-probe.ts EXECUTABLE|src [ENV_JSON] [MAX_CACHE_SIZE] [CHECKPOINTS] [WAIT_MS] [UPSTREAM]',
  );
}
const checkpoints = checkpointList.split(',').map(Number);
const total = checkpoints.at(-1)!;
// `src-nogc`: the source variant without the heap stats, so no step forces a collection (compare with `src`).
const fromSource = exe === 'src';
const variant = fromSource || exe === 'src-nogc';

function pages(pid: number) {
  return { ...rssPages(pid), jit: jitMb(pid) };
}

const mb = mbOfKb;

/** Resident pages of anonymous executable mappings (/proc/PID/smaps): JavaScriptCore's JIT code. */
function jitMb(pid: number): number {
  let inJit = false;
  let total = 0;
  for (const line of readFileSync(`/proc/${pid}/smaps`, 'utf8').split('\n')) {
    const head = /^[0-9a-f]+-[0-9a-f]+ (\S{4}) \S+ \S+ (\d+)\s*(.*)$/.exec(line);
    if (head) inJit = head[1]!.includes('x') && head[2] === '0' && head[3] === '';
    else if (inJit && line.startsWith('Rss:')) total += Number(/(\d+)/.exec(line)?.[1] ?? 0);
  }
  return mb(total);
}

interface HeapStats {
  heapSize: number;
  objectCount: number;
  objectTypeCounts: Record<string, number>;
  strings: unknown;
  at: number;
}

/** SIGUSR1 to the source variant: a full collection, then heapStats() written to `file`. */
async function heapStats(pid: number, file: string): Promise<HeapStats> {
  const sentAt = Date.now();
  process.kill(pid, 'SIGUSR1');
  for (let i = 0; i < 200; i++) {
    await Bun.sleep(50);
    try {
      const stats = JSON.parse(readFileSync(file, 'utf8')) as HeapStats;
      if (stats.at >= sentAt) return stats;
    } catch {
      // Not written yet.
    }
  }
  throw new Error('no heap stats from the agent');
}

/** Object types whose count changed most since `before`, largest change first. */
function grown(before: HeapStats, after: HeapStats, top = 15): Record<string, number> {
  const types = new Set([...Object.keys(before.objectTypeCounts), ...Object.keys(after.objectTypeCounts)]);
  const deltas = [...types].map(
    (t) => [t, (after.objectTypeCounts[t] ?? 0) - (before.objectTypeCounts[t] ?? 0)] as const,
  );
  deltas.sort((a, b) => Math.abs(b[1]) - Math.abs(a[1]));
  return Object.fromEntries(deltas.slice(0, top).filter(([, d]) => d !== 0));
}

const dir = mkdtempSync(join(tmpdir(), 'pia-residue-probe-'));
const emulator = await startEmulatorProcess();
try {
  const issued = await emulator.issueTokens(total, { prefix: 'rp', concurrency: 32 });
  const agent = await startAgentProcess({
    emulatorUrl: emulator.url,
    ...(variant ? { entry: 'variant' as const } : { command: [resolve(exe), 'server'] }),
    args: [
      '--max-cache-size',
      maxCache,
      '--max-upstream-concurrency',
      upstream,
      ...(fromSource ? ['--bench-heap-stats', join(dir, 'heap.json')] : []),
    ],
    noWait: true,
    env: JSON.parse(envJson) as Record<string, string>,
  });
  try {
    await waitForOk(agent.readyUrl, 15_000, agent.child);
    const pid = agent.child.pid;
    await Bun.sleep(1000);
    await settledRssMb(pid);
    const idle = pages(pid);
    const heapFile = join(dir, 'heap.json');
    const idleHeap = fromSource ? await heapStats(pid, heapFile) : undefined;
    const heapOf = (h: HeapStats | undefined) =>
      h && { heapKb: Math.round(h.heapSize / 1024), objects: h.objectCount };
    console.log(JSON.stringify({ misses: 0, ...idle, ...heapOf(idleHeap) }));
    let previousHeap = idleHeap;
    let done = 0;
    for (const upTo of checkpoints) {
      writeFileSync(join(dir, 'step.txt'), issued.slice(done, upTo).join('\n'));
      await fill(agent.credentialsUrl, join(dir, 'step.txt'));
      done = upTo;
      await Bun.sleep(Number(waitMs));
      await settledRssMb(pid);
      const now = pages(pid);
      const held = await cacheEntries(agent.metricsUrl);
      console.log(
        JSON.stringify({
          misses: upTo,
          held,
          ...now,
          anonSinceIdle: Math.round((now.anon - idle.anon) * 10) / 10,
          fileSinceIdle: Math.round((now.file - idle.file) * 10) / 10,
          jitSinceIdle: Math.round((now.jit - idle.jit) * 10) / 10,
          ...(await (async () => {
            if (!fromSource || !previousHeap) return {};
            const h = await heapStats(pid, heapFile);
            const line = { ...heapOf(h), grownSincePrevious: grown(previousHeap, h), strings: h.strings };
            previousHeap = h;
            return line;
          })()),
        }),
      );
    }
  } finally {
    await agent.stop();
  }
} finally {
  await emulator.stop();
  rmSync(dir, { recursive: true, force: true });
}

// Idle and 250-pod RSS of one or more executables (or one executable under several environments), in claims
// and/or signature mode, starts alternated: each start reads idle (1 s after ready), then fills 250 pods' tokens
// and reads again, RSS split into anonymous and file-backed pages (/proc/PID/smaps_rollup); medians per variant
// at the end. The agent runs with BUN_JSC_useFTLJIT=0 (the image's ENV) unless a variant overrides it.
// Usage: bun bench/footprint-modes-probe.ts REPS claims,signature LABEL=EXE[={'ENV':'VALUE',...}] ...
//   (single quotes in the environment JSON stand for double quotes; TOP=1 also lists the largest anonymous maps)
// Wrap it in flock /tmp/bench.lock.
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { startAgentProcess } from './lib/agent.ts';
import { startEmulatorProcess } from './lib/emulator.ts';
import { fillFromClient as fill, type rssPages as pages, settledPages } from './lib/probe-steps.ts';
import { waitForOk } from './lib/processes.ts';

const [reps = '3', modes = 'claims,signature', ...variants] = process.argv.slice(2);
const dir = mkdtempSync(join(tmpdir(), 'sigprobe-'));
const emulator = await startEmulatorProcess();
const issued = await emulator.issueTokens(250, { prefix: 'fp', concurrency: 32 });
writeFileSync(join(dir, 'pods.txt'), issued.join('\n'));
function topAnon(pid: number) {
  const text = readFileSync(`/proc/${pid}/smaps`, 'utf8');
  const out: { name: string; size: number; anon: number }[] = [];
  let cur: { name: string; size: number; anon: number } | undefined;
  for (const line of text.split('\n')) {
    const m = /^([0-9a-f]+)-([0-9a-f]+) \S+ \S+ \S+ \S+\s*(.*)$/.exec(line);
    if (m) {
      cur = { name: m[3] || '[anon]', size: (parseInt(m[2]!, 16) - parseInt(m[1]!, 16)) / 1024, anon: 0 };
      out.push(cur);
      continue;
    }
    const a = /^Anonymous:\s+(\d+)/.exec(line);
    if (a && cur) cur.anon = Number(a[1]);
  }
  return out
    .filter((x) => x.anon > 200)
    .sort((a, b) => b.anon - a.anon)
    .slice(0, 12)
    .map((x) => `${x.name}:${x.size}K/${x.anon}K`);
}
type Pages = ReturnType<typeof pages>;
interface Row {
  label: string;
  mode: string;
  ready: number;
  threads: string | undefined;
  idle: Pages;
  pods: Pages;
  top: string[] | undefined;
}
const results: Record<string, Row[]> = {};
for (let r = 0; r < Number(reps); r++) {
  for (const mode of modes.split(',')) {
    for (const v of r % 2 ? [...variants].reverse() : variants) {
      const [label, exe, envJson = '{}'] = v.split('=') as [string, string, string?];
      const agent = await startAgentProcess({
        emulatorUrl: emulator.url,
        command: [resolve(exe), 'server'],
        args: [
          '--max-cache-size',
          '20000',
          '--max-upstream-concurrency',
          '64',
          ...(mode === 'signature' ? ['--token-issuer', emulator.url] : []),
        ],
        noWait: true,
        env: {
          BUN_JSC_useFTLJIT: '0',
          ...(JSON.parse(envJson.replaceAll("'", '"')) as Record<string, string>),
        },
      });
      try {
        const t0 = performance.now();
        await waitForOk(agent.readyUrl, 15_000, agent.child);
        const ready = Math.round(performance.now() - t0);
        const pid = agent.child.pid;
        await Bun.sleep(1000);
        const idle = await settledPages(pid);
        const threads = readFileSync(`/proc/${pid}/status`, 'utf8').match(/Threads:\s+(\d+)/)![1];
        const top = process.env.TOP ? topAnon(pid) : undefined;
        await fill(agent.credentialsUrl, join(dir, 'pods.txt'));
        await Bun.sleep(1000);
        const pods = await settledPages(pid);
        const row: Row = { label, mode, ready, threads, idle, pods, top };
        console.log(JSON.stringify(row));
        const key = `${label}/${mode}`;
        results[key] = [...(results[key] ?? []), row];
      } finally {
        await agent.stop();
      }
    }
  }
}
const med = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)];
};
for (const [k, rows] of Object.entries(results)) {
  console.log(
    k,
    'idle rss',
    med(rows.map((x) => x.idle.rss)),
    'anon',
    med(rows.map((x) => x.idle.anon)),
    'file',
    med(rows.map((x) => x.idle.file)),
    '| pods rss',
    med(rows.map((x) => x.pods.rss)),
    'anon',
    med(rows.map((x) => x.pods.anon)),
    'file',
    med(rows.map((x) => x.pods.file)),
    'ready',
    med(rows.map((x) => x.ready)),
  );
}
await emulator.stop();

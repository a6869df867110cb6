// Where the 99th-percentile event-loop stalls of bench/hostile-upstream.bench.ts come from: the same agent, storm
// and pinning, run with the turn trace (bench/servers/turn-trace.ts: one line per 1 ms tick saying what ran
// since the previous one) and JavaScriptCore's GC log (BUN_JSC_logGC=1, each pause's length, in order with the
// ticks). Per window: the ticks at or over the window's 99th-percentile lateness, and what ran inside them on
// average (hit and miss handlers with their microtasks, the EKS Auth client's turn-queue immediates, signature
// worker replies, GC pauses; the rest is Bun's own work, answers' continuations and waiting for the core),
// requests per turn, and the main thread's wait for the core (schedstat). Diagnosis, not a target.
// Usage: npx bun bench/hostile-upstream-trace.ts [REPS]     (run under flock /tmp/bench.lock like any bench)
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { availableParallelism, tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { imageRuntimeEnv } from './footprint.bench.ts';
import { getCredentials, startAgentProcess } from './lib/agent.ts';
import { startEmulatorProcess } from './lib/emulator.ts';
import { requestEachToken } from './lib/load.ts';
import { probeDuring } from './lib/prober.ts';
import { median, percentile, round } from './lib/stats.ts';

const REPS = Number(process.argv[2] ?? 3);
const PIN = availableParallelism() >= 2 && Bun.which('taskset') !== null;
const AGENT_CORE = PIN ? ['taskset', '-c', '0'] : [];
if (PIN) Bun.spawnSync(['taskset', '-p', '-c', '1', String(process.pid)], { stdout: 'ignore' });
const WINDOWS: ReadonlyArray<readonly [string, Record<string, unknown> | undefined]> = [
  ['idle', undefined],
  ['500, empty body (floor)', { failWith: 'InternalServerException', failEmptyBody: true }],
  ['500, 1 MB message', { failWith: 'InternalServerException', failMessageChars: 1_048_576 }],
];

function mainThreadWaitMs(pid: number): number {
  return Number(readFileSync(`/proc/${pid}/task/${pid}/schedstat`, 'utf8').split(' ')[1]) / 1e6;
}
function otherThreadsMs(pid: number): number {
  let ms = 0;
  for (const tid of readdirSync(`/proc/${pid}/task`)) {
    if (tid === String(pid)) continue;
    try {
      ms += Number(readFileSync(`/proc/${pid}/task/${tid}/schedstat`, 'utf8').split(' ')[0]) / 1e6;
    } catch {
      // Thread gone.
    }
  }
  return ms;
}

const dir = mkdtempSync(join(tmpdir(), 'pia-bench-trace-'));
const log = join(dir, 'agent.stderr');
const emulator = await startEmulatorProcess();
const agent = await startAgentProcess({
  emulatorUrl: emulator.url,
  // The shell only sends the agent's stderr (trace and GC log) to a file; the agent is exec'd in its place.
  command: ['sh', '-c', `exec "$@" 2>>${log}`, 'sh', ...AGENT_CORE, 'bun', 'bench/servers/agent-variant.ts'],
  args: ['--bench-metrics', 'on', '--bench-loop-delay', '--bench-trace', '--token-issuer', emulator.url],
  // As it runs in a pod: the image's runtime environment (the Dockerfile's `ENV BUN_JSC_...`).
  env: {
    ...imageRuntimeEnv(readFileSync(resolve(import.meta.dir, '../Dockerfile'), 'utf8')),
    BUN_JSC_logGC: '1',
  },
});
const windowNames: string[] = [];
const waits = new Map<string, number[]>();
const others = new Map<string, number[]>();
const push = (into: Map<string, number[]>, name: string, value: number) =>
  into.set(name, [...(into.get(name) ?? []), value]);
try {
  const [hot = ''] = await emulator.issueTokens(1, { prefix: 'hot' });
  await getCredentials(agent.credentialsUrl, hot);
  for (let rep = 0; rep < REPS; rep++) {
    for (const [i, [name, faults]] of WINDOWS.entries()) {
      const tokens = await emulator.issueTokens(200, { prefix: `t${rep}-${i}`, concurrency: 32 });
      if (faults) await emulator.setFaults(faults);
      await fetch(agent.metricsUrl).then((r) => r.text()); // a W line: the window starts
      const wait0 = mainThreadWaitMs(agent.child.pid);
      const other0 = otherThreadsMs(agent.child.pid);
      await probeDuring(
        agent.credentialsUrl,
        hot,
        async () => {
          if (faults) await requestEachToken(agent.credentialsUrl, tokens, 32);
          else await Bun.sleep(250);
        },
        200,
        AGENT_CORE,
      );
      push(waits, name, mainThreadWaitMs(agent.child.pid) - wait0);
      push(others, name, otherThreadsMs(agent.child.pid) - other0);
      await fetch(agent.metricsUrl).then((r) => r.text()); // W: it ends
      windowNames.push(name);
      await emulator.resetFaults();
    }
  }
} finally {
  await agent.stop();
  await emulator.stop();
}

interface Tick {
  late: number;
  fields: number[];
  gcMs: number;
  gcs: number;
}
// Split the log at W lines; odd segments are the windows (each window is opened and closed by a W).
const segments: Tick[][] = [[]];
let pendingGcMs = 0;
let pendingGcs = 0;
for (const line of readFileSync(log, 'utf8').split('\n')) {
  if (line === 'W') {
    segments.push([]);
    continue;
  }
  if (line.startsWith('T ')) {
    const [late = 0, ...fields] = line.slice(2).split(' ').map(Number);
    segments.at(-1)?.push({ late: late / 1000, fields, gcMs: pendingGcMs, gcs: pendingGcs });
    pendingGcMs = 0;
    pendingGcs = 0;
    continue;
  }
  // JSC: each stop-the-world increment of a collection logs its pause as p=<ms>ms.
  const pause = /p=([\d.]+)ms/.exec(line);
  if (line.startsWith('[GC<') && pause) {
    pendingGcMs += Number(pause[1]);
    if (line.includes('START')) pendingGcs++;
  }
}
rmSync(dir, { recursive: true, force: true });

const byName = new Map<string, Tick[][]>();
windowNames.forEach((name, i) => {
  const ticks = segments[2 * i + 1] ?? [];
  byName.set(name, [...(byName.get(name) ?? []), ticks]);
});
const f = (t: Tick, i: number) => t.fields[i] ?? 0;
console.log(
  `${REPS} runs per window; ticks at or over each window's p99 lateness ("stalls"), mean per stall; ms unless named`,
);
console.log(
  '| window | tick lateness p99 | stalls | hits in a stall | hit handlers | misses in a stall | miss handlers (sync + microtasks) | turn-queue immediates (n / ms) | worker replies (n / ms) | GC pause in a stall (stalls with one) | rest, idle included (Bun, answers, waiting for the core) | largest batch per stall (requests / ms) | miss handler per request p50 / p99 | GC pauses in window (n / max ms) | main thread waiting for a core per window | other threads CPU per window |',
);
console.log('|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|');
for (const [name, runs] of byName) {
  const stalls: Tick[] = [];
  const perMiss: number[] = [];
  const gcPauses: number[] = [];
  for (const ticks of runs) {
    const p99 = percentile(
      ticks.map((t) => t.late),
      99,
    );
    for (const t of ticks) {
      if (t.late >= p99) stalls.push(t);
      if (f(t, 2) > 0) perMiss.push(f(t, 3) / 1000 / f(t, 2));
      if (t.gcMs > 0) gcPauses.push(t.gcMs);
    }
  }
  const mean = (pick: (t: Tick) => number) =>
    round(stalls.reduce((a, t) => a + pick(t), 0) / Math.max(1, stalls.length));
  const ms = (i: number) => (t: Tick) => f(t, i) / 1000;
  const attributed = (t: Tick) => ms(1)(t) + ms(3)(t) + ms(7)(t) + ms(9)(t) + t.gcMs;
  const p99s = runs.map((ticks) =>
    percentile(
      ticks.map((t) => t.late),
      99,
    ),
  );
  console.log(
    `| ${[
      name,
      round(median(p99s)),
      stalls.length,
      mean((t) => f(t, 0)),
      mean(ms(1)),
      mean((t) => f(t, 2)),
      mean(ms(3)),
      `${mean((t) => f(t, 6))} / ${mean(ms(7))}`,
      `${mean((t) => f(t, 8))} / ${mean(ms(9))}`,
      `${mean((t) => t.gcMs)} (${stalls.filter((t) => t.gcMs > 0).length})`,
      mean((t) => Math.max(0, t.late + 1 - attributed(t))),
      `${mean((t) => f(t, 4))} / ${mean(ms(5))}`,
      `${round(percentile(perMiss, 50))} / ${round(percentile(perMiss, 99))}`,
      `${gcPauses.length / runs.length} / ${round(Math.max(0, ...gcPauses))}`,
      round(median(waits.get(name) ?? [])),
      round(median(others.get(name) ?? [])),
    ].join(' | ')} |`,
  );
}

// An upstream answering 500 during a pod-start storm, with bodies from nothing to a 1 MB message: event-loop
// delay and cached pods' hit p99 (a separate prober process) against the same agent idle, in the same run,
// under the same hit load. The floor is a 500 with an empty body (the code only in its header): the least a
// failed call can cost, so what a message adds is the difference to it. Target: within 2x idle.
//
// Event-loop delay comes from a 1 ms sampler in the bench variant of the agent (bench/servers/
// agent-variant.ts --bench-loop-delay): the agent's own monitor ticks every 500 ms, so within a storm of
// under a second it sees one or two moments, not the stalls between them. Per window the bench also reads the
// CPU time of the agent's main thread, of its other threads (Bun's HTTP client thread reads upstream bodies)
// and of the emulator, from /proc/PID/task/*/schedstat, and the EKS Auth calls made: where the time goes.
//
// With two or more cores (and taskset) the agent and the prober run on core 0, the emulator and the load (this
// process) on core 1: EKS Auth is remote and starting pods' SDKs are light, so their CPU is not the agent's
// doing; `--no-pin` shares every core. Other processes on the machine still share core 0, so the bench
// also reports how long the agent's main thread waited for it.
//
// Runtime references, same storms, same prober, same pinning, in the same run (bench/servers/bare-upstream.ts):
// a bare Bun.serve that answers the hot token from a fixed body (the agent's own answer) and each storm request
// after one loopback fetch to the emulator (the same fault, so the same 500 body) with a fixed 503; "bare read"
// reads that body whole, as a minimal server would, "bare cancel" cancels it unread past the agent's 8 KiB
// error-body bound. What the runtime itself costs under the identical storm: where even a bare server is over
// 2x its idle, the target is beyond the runtime on this machine. The agent's table gives its readings over
// each reference's (x bare) and its "x idle" over the reference's "x idle". Each storm runs on the three
// servers back to back, in an order rotating per repetition. Where the stalls come from:
// bench/hostile-upstream-trace.ts. The agent runs with the image's runtime env (the Dockerfile's ENV BUN_JSC_...)
// and its defaults, --helper-thread-nice=19 included; a last table per server gives CPU per window by thread name
// (/proc/PID/task/TID/comm). Measured at a20472e against --agent-arg=--helper-thread-nice=0 (three runs each,
// medians, delay p99 / hit p99 over idle): 1 MB 1.81x / 5.34x (nice 0: 2.80x / 4.60x, with a 4.3x higher idle hit
// p99), floor 1.55x / 4.66x; bare cancel 1.62x / 1.75x, bare read 7.2-12.9x / 5.2-14.9x (README).
// Usage: npx bun bench/hostile-upstream.bench.ts [REPS] [--no-pin] [--no-image-env] [--agent-env NAME=VALUE]
//        [--agent-arg=FLAG]...
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { availableParallelism, tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { imageRuntimeEnv } from './footprint.bench.ts';
import { getCredentials, startAgentProcess } from './lib/agent.ts';
import { startEmulatorProcess } from './lib/emulator.ts';
import { requestEachToken } from './lib/load.ts';
import { freePorts } from './lib/ports.ts';
import { probeDuring } from './lib/prober.ts';
import { type Child, spawnChild, waitForOk } from './lib/processes.ts';
import { median, ratio, round } from './lib/stats.ts';
import { cpuByGroup, readThreads } from './lib/threads.ts';

const REPS = Math.max(3, Number(process.argv.slice(2).find((a) => /^\d+$/.test(a)) ?? 3));
const PIN =
  !process.argv.includes('--no-pin') && availableParallelism() >= 2 && Bun.which('taskset') !== null;
/** Core 0 for the agent and the prober; this process (and the emulator it spawns) moves to core 1. */
const AGENT_CORE = PIN ? ['taskset', '-c', '0'] : [];
if (PIN) Bun.spawnSync(['taskset', '-p', '-c', '1', String(process.pid)], { stdout: 'ignore' });
/**
 * The agent runs with the image's runtime environment (the Dockerfile's `ENV BUN_JSC_...`), as it runs in a pod;
 * `--no-image-env` drops it, `--agent-env NAME=VALUE` (repeatable) adds to it, for trying runtime options.
 */
const AGENT_RUNTIME_ENV: Record<string, string> = process.argv.includes('--no-image-env')
  ? {}
  : imageRuntimeEnv(readFileSync(resolve(import.meta.dir, '../Dockerfile'), 'utf8'));
for (const [i, arg] of process.argv.entries()) {
  if (arg !== '--agent-env') continue;
  const [name, ...value] = (process.argv[i + 1] ?? '').split('=');
  if (!name || value.length === 0) throw new Error('--agent-env takes NAME=VALUE');
  AGENT_RUNTIME_ENV[name] = value.join('=');
}
/** `--agent-arg=FLAG` (repeatable) adds a server flag, e.g. `--agent-arg=--helper-thread-nice=0`. */
const AGENT_ARGS = process.argv.filter((a) => a.startsWith('--agent-arg=')).map((a) => a.slice(12));
const NEW_PODS = 200;
const CONCURRENCY = 32;

interface Storm {
  readonly name: string;
  readonly faults: Record<string, unknown>;
}
const FLOOR = '500, empty body (floor)';
const STORMS: readonly Storm[] = [
  { name: FLOOR, faults: { failWith: 'InternalServerException', failEmptyBody: true } },
  { name: '500, short message', faults: { failWith: 'InternalServerException' } },
  {
    name: '500, 64,000-char message',
    faults: { failWith: 'InternalServerException', failMessageChars: 64_000 },
  },
  { name: '500, 1 MB message', faults: { failWith: 'InternalServerException', failMessageChars: 1_048_576 } },
];
const IDLE = 'idle';

/** One server under the storm: the agent, or the bare runtime reference (bench/servers/bare-upstream.ts). */
interface Target {
  readonly credentialsUrl: string;
  readonly pid: number;
  /** Starts a window of the target's 1 ms event-loop delay sampler. */
  startWindow(): Promise<void>;
  /** Event-loop delay since the window started. */
  loopDelay(): Promise<{ p99Ms: number; maxMs: number }>;
}

async function scrapeAgent(metricsUrl: string): Promise<{ p99Ms: number; maxMs: number }> {
  const text = await (await fetch(metricsUrl)).text();
  const read = (pattern: RegExp) => 1000 * Number(pattern.exec(text)?.[1] ?? Number.NaN);
  return {
    p99Ms: read(/^bench_event_loop_delay_seconds\{stat="p99"\} (\S+)$/m),
    maxMs: read(/^bench_event_loop_delay_seconds\{stat="max"\} (\S+)$/m),
  };
}

/**
 * From schedstat: on-CPU ms of a process's main thread and of its other threads (and of each group of them by
 * thread name), and the ms its main thread was runnable but waiting for a core (event-loop delay the agent's code
 * did not cause).
 */
function cpuBetween(
  before: ReturnType<typeof readThreads>,
  after: ReturnType<typeof readThreads>,
): { main: number; others: number; mainWaiting: number; byThread: Map<string, number> } {
  const byThread = cpuByGroup(before, after);
  const main = byThread.get('main') ?? 0;
  byThread.delete('main');
  let others = 0;
  for (const ms of byThread.values()) others += ms;
  const mainWaiting = [...after.values()].find((t) => t.name === 'main')?.waitingMs ?? 0;
  const mainWaiting0 = [...before.values()].find((t) => t.name === 'main')?.waitingMs ?? 0;
  return { main, others, mainWaiting: mainWaiting - mainWaiting0, byThread };
}
const cpuTotal = (c: ReturnType<typeof cpuBetween>) => c.main + c.others;

interface Sample {
  lagP99Ms: number;
  lagMaxMs: number;
  hitP99Ms: number;
  windowMs: number;
  agentMainMs: number;
  agentOtherMs: number;
  agentWaitingMs: number;
  /** On-CPU ms of the server's threads other than the main one, by thread name. */
  agentByThread: Map<string, number>;
  emulatorMs: number;
  calls: number;
}

/** The bare reference: answers `hot` with the agent's own body for it, every other token after one fetch. */
async function startBare(
  emulatorUrl: string,
  hotToken: string,
  hotBody: string,
  mode: 'read' | 'cancel',
): Promise<Target & Child> {
  const [port] = (await freePorts(1)) as [number];
  const dir = mkdtempSync(join(tmpdir(), 'pia-bench-bare-'));
  const tokenFile = join(dir, 'token');
  const bodyFile = join(dir, 'body');
  writeFileSync(tokenFile, hotToken, { mode: 0o600 });
  writeFileSync(bodyFile, hotBody, { mode: 0o600 });
  const child = spawnChild([
    ...AGENT_CORE,
    'bun',
    'bench/servers/bare-upstream.ts',
    String(port),
    tokenFile,
    bodyFile,
    emulatorUrl,
    mode,
  ]);
  try {
    await waitForOk(`http://127.0.0.1:${port}/ok`, 15_000, child);
  } catch (err) {
    await child.stop();
    throw err;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  const delayUrl = `http://127.0.0.1:${port}/_bench/loop-delay`;
  return {
    ...child,
    credentialsUrl: `http://127.0.0.1:${port}/v1/credentials`,
    // Its sampler runs only inside its own windows: a 1 ms timer ticking beside the agent would cost it.
    startWindow: async () => void (await (await fetch(`${delayUrl}/start`)).arrayBuffer()),
    loopDelay: async () => (await (await fetch(delayUrl)).json()) as { p99Ms: number; maxMs: number },
  };
}

const emulator = await startEmulatorProcess();
const agentProcess = await startAgentProcess({
  emulatorUrl: emulator.url,
  command: [...AGENT_CORE, 'bun', 'bench/servers/agent-variant.ts'],
  args: ['--bench-metrics', 'on', '--bench-loop-delay', '--token-issuer', emulator.url, ...AGENT_ARGS],
  env: AGENT_RUNTIME_ENV,
});
const agent: Target = {
  credentialsUrl: agentProcess.credentialsUrl,
  pid: agentProcess.child.pid,
  // Each scrape reads the window since the previous one and starts the next.
  startWindow: async () => void (await scrapeAgent(agentProcess.metricsUrl)),
  loopDelay: () => scrapeAgent(agentProcess.metricsUrl),
};
const newRows = () =>
  new Map<string, Sample[]>([[IDLE, []], ...STORMS.map((s) => [s.name, []] as [string, Sample[]])]);
const rows = newRows();
/** The runtime references: the upstream's answer read whole, and cancelled unread past the agent's bound. */
const BARE_MODES = ['read', 'cancel'] as const;
const bareRows = { read: newRows(), cancel: newRows() };
const bares: Array<Target & Child> = [];

async function measure(target: Target, name: string, during: () => Promise<unknown>): Promise<Sample> {
  await target.startWindow();
  const calls0 = (await emulator.stats()).assumeRoleCalls;
  const agent0 = readThreads(target.pid);
  const emulator0 = readThreads(emulator.child.pid);
  const startedAt = performance.now();
  const { probe } = await probeDuring(target.credentialsUrl, hot, during, 200, AGENT_CORE);
  const windowMs = performance.now() - startedAt;
  const lag = await target.loopDelay();
  const agentCpu = cpuBetween(agent0, readThreads(target.pid));
  const emulatorCpu = cpuBetween(emulator0, readThreads(emulator.child.pid));
  if (probe.errors > 0) throw new Error(`${name}: ${probe.errors} cached-pod requests failed`);
  return {
    lagP99Ms: lag.p99Ms,
    lagMaxMs: lag.maxMs,
    hitP99Ms: probe.p99Ms,
    windowMs,
    agentMainMs: agentCpu.main,
    agentOtherMs: agentCpu.others,
    agentWaitingMs: agentCpu.mainWaiting,
    agentByThread: agentCpu.byThread,
    emulatorMs: cpuTotal(emulatorCpu),
    calls: (await emulator.stats()).assumeRoleCalls - calls0,
  };
}

let hot = '';
try {
  [hot = ''] = await emulator.issueTokens(1, { prefix: 'hot' });
  const hotBody = await getCredentials(agent.credentialsUrl, hot);
  for (const mode of BARE_MODES) bares.push(await startBare(emulator.url, hot, hotBody, mode));
  const targets: Array<[Target, Map<string, Sample[]>]> = [
    [agent, rows],
    ...BARE_MODES.map((mode, i) => [bares[i], bareRows[mode]] as [Target, Map<string, Sample[]>]),
  ];
  for (let rep = 0; rep < REPS; rep++) {
    // Each storm runs on every target back to back, in an order that rotates per repetition: none always runs
    // first on a machine the previous one warmed.
    const order = targets.map((_, i) => targets[(i + rep) % targets.length] as (typeof targets)[number]);
    const windows: number[] = [];
    for (const [i, storm] of STORMS.entries()) {
      for (const [t, [target, into]] of order.entries()) {
        const tokens = await emulator.issueTokens(NEW_PODS, {
          prefix: `r${rep}-s${i}-t${t}`,
          concurrency: 32,
        });
        await emulator.setFaults(storm.faults);
        const sample = await measure(target, storm.name, () =>
          requestEachToken(target.credentialsUrl, tokens, CONCURRENCY),
        );
        await emulator.resetFaults();
        into.get(storm.name)?.push(sample);
        if (target === agent) windows.push(sample.windowMs);
      }
    }
    // Idle as long as this repetition's agent storms took (the prober's settle time included), so the largest
    // delay of a window is not compared across windows of different lengths.
    const idleMs = Math.max(0, median(windows) - 200);
    for (const [target, into] of order)
      into.get(IDLE)?.push(await measure(target, IDLE, () => Bun.sleep(idleMs)));
  }
} finally {
  await agentProcess.stop();
  for (const b of bares) await b.stop();
  await emulator.stop();
}

const med = (samples: readonly Sample[], pick: (s: Sample) => number) => median(samples.map(pick));
/** "value (ratio x base)" of one reading, medians of the repetitions. */
const cell = (samples: readonly Sample[], base: readonly Sample[], pick: (s: Sample) => number) =>
  `${round(med(samples, pick))} (${round(ratio(med(samples, pick), med(base, pick)))}x)`;
const perCall = (pick: (s: Sample) => number) => (s: Sample) => (s.calls === 0 ? 0 : pick(s) / s.calls);
const delayP99 = (s: Sample) => s.lagP99Ms;
const delayMax = (s: Sample) => s.lagMaxMs;
const hitP99 = (s: Sample) => s.hitP99Ms;
const ratios = (a: readonly Sample[], b: readonly Sample[]) =>
  [delayP99, delayMax, hitP99].map((pick) => round(ratio(med(a, pick), med(b, pick)))).join(' / ');

/**
 * One table: each window's readings against its own idle and floor, and (the agent's) against each bare
 * reference: the ratio of the readings, and the ratio of the two "x idle" figures.
 */
function printTable(
  title: string,
  table: Map<string, Sample[]>,
  references: ReadonlyArray<readonly [string, Map<string, Sample[]>]> = [],
): void {
  const idle = table.get(IDLE) ?? [];
  const floor = table.get(FLOOR) ?? [];
  const refHeads = references.map(
    ([label]) =>
      ` x ${label}: delay p99 / max / hit p99 | x idle over ${label}'s x idle: delay p99 / hit p99 |`,
  );
  console.log(title);
  console.log(
    `| window | loop delay p99 ms (x idle) | loop delay max ms (x idle) | hit p99 ms (x idle) | x floor: delay p99 / max / hit p99 |${refHeads.join('')} main thread waiting for a core (ms) | EKS Auth calls | CPU ms per call: main thread / other threads / emulator | window (ms) |`,
  );
  console.log(`|---|---|---|---|---|${'---|---|'.repeat(references.length)}---|---|---|---|`);
  for (const [name, samples] of table) {
    const storm = name !== IDLE;
    const cpu = [
      (s: Sample) => s.agentMainMs,
      (s: Sample) => s.agentOtherMs,
      (s: Sample) => s.emulatorMs,
    ].map((pick) => round(med(samples, perCall(pick))));
    const refCells = references.flatMap(([, reference]) => {
      const ref = reference.get(name) ?? [];
      const refIdle = reference.get(IDLE) ?? [];
      const overIdle = [delayP99, hitP99].map((pick) =>
        round(ratio(ratio(med(samples, pick), med(idle, pick)), ratio(med(ref, pick), med(refIdle, pick)))),
      );
      return [ratios(samples, ref), storm ? overIdle.join(' / ') : ''];
    });
    const cells = [
      name,
      cell(samples, idle, delayP99),
      cell(samples, idle, delayMax),
      cell(samples, idle, hitP99),
      storm ? ratios(samples, floor) : '',
      ...refCells,
      round(med(samples, (s) => s.agentWaitingMs)),
      med(samples, (s) => s.calls),
      storm ? cpu.join(' / ') : '',
      round(med(samples, (s) => s.windowMs)),
    ];
    console.log(`| ${cells.join(' | ')} |`);
  }
}

/**
 * Where the server's other threads' CPU went, by thread name: ms per window (medians), beside the main thread's
 * own CPU and its wait for the core they share.
 */
function printThreads(title: string, table: Map<string, Sample[]>): void {
  const totals = new Map<string, number>();
  for (const samples of table.values())
    for (const s of samples)
      for (const [name, ms] of s.agentByThread) totals.set(name, (totals.get(name) ?? 0) + ms);
  // Busiest first; groups that never reach 0.5 ms in any window's median are summed as "rest".
  const names = [...totals.entries()].sort((a, b) => b[1] - a[1]).map(([name]) => name);
  const msOf = (s: Sample, name: string) => s.agentByThread.get(name) ?? 0;
  const shown = names.filter((name) =>
    [...table.values()].some((samples) => med(samples, (s) => msOf(s, name)) >= 0.5),
  );
  const rest = names.filter((name) => !shown.includes(name));
  console.log(title);
  console.log(
    `| window | main thread CPU | main thread waiting for a core | other threads |${shown.map((n) => ` ${n} |`).join('')} rest |`,
  );
  console.log(`|---|---|---|---|${'---|'.repeat(shown.length)}---|`);
  for (const [window, samples] of table) {
    const cells = [
      window,
      round(med(samples, (s) => s.agentMainMs)),
      round(med(samples, (s) => s.agentWaitingMs)),
      round(med(samples, (s) => s.agentOtherMs)),
      ...shown.map((name) => round(med(samples, (s) => msOf(s, name)))),
      round(med(samples, (s) => rest.reduce((sum, name) => sum + msOf(s, name), 0))),
    ];
    console.log(`| ${cells.join(' | ')} |`);
  }
}

console.log(
  `agent flags: ${AGENT_ARGS.join(' ') || 'defaults'}; agent runtime env: ${
    Object.entries(AGENT_RUNTIME_ENV)
      .map(([k, v]) => `${k}=${v}`)
      .join(' ') || 'none'
  }`,
);
console.log(
  `medians of ${REPS} runs; ${NEW_PODS} new pods, ${CONCURRENCY} at a time, per storm; event-loop delay of a 1 ms timer in the server; ${PIN ? 'agent (or bare reference) and prober on core 0, emulator and load on core 1' : 'not pinned'}`,
);
printTable('agent', rows, [
  ['bare read', bareRows.read],
  ['bare cancel', bareRows.cancel],
]);
for (const mode of BARE_MODES) {
  console.log('');
  printTable(
    `runtime reference "bare ${mode}": bare Bun.serve (hot token from a fixed body; each storm request: one fetch to the emulator, ${mode === 'read' ? 'its body read whole' : 'its body cancelled unread past 8 KiB'}, a fixed 503)`,
    bareRows[mode],
  );
}
for (const [label, table] of [
  ['agent', rows],
  ['bare read', bareRows.read],
  ['bare cancel', bareRows.cancel],
] as const) {
  console.log('');
  printThreads(`${label}: CPU ms per window by thread (medians)`, table);
}

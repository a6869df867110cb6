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
// Usage: npx bun bench/hostile-upstream.bench.ts [REPS] [--no-pin]
import { readdirSync, readFileSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { getCredentials, startAgentProcess } from './lib/agent.ts';
import { startEmulatorProcess } from './lib/emulator.ts';
import { requestEachToken } from './lib/load.ts';
import { probeDuring } from './lib/prober.ts';
import { median, ratio, round } from './lib/stats.ts';

const REPS = Math.max(3, Number(process.argv.slice(2).find((a) => /^\d+$/.test(a)) ?? 3));
const PIN =
  !process.argv.includes('--no-pin') && availableParallelism() >= 2 && Bun.which('taskset') !== null;
/** Core 0 for the agent and the prober; this process (and the emulator it spawns) moves to core 1. */
const AGENT_CORE = PIN ? ['taskset', '-c', '0'] : [];
if (PIN) Bun.spawnSync(['taskset', '-p', '-c', '1', String(process.pid)], { stdout: 'ignore' });
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

async function scrape(metricsUrl: string): Promise<{ p99Ms: number; maxMs: number }> {
  const text = await (await fetch(metricsUrl)).text();
  const read = (pattern: RegExp) => 1000 * Number(pattern.exec(text)?.[1] ?? Number.NaN);
  return {
    p99Ms: read(/^bench_event_loop_delay_seconds\{stat="p99"\} (\S+)$/m),
    maxMs: read(/^bench_event_loop_delay_seconds\{stat="max"\} (\S+)$/m),
  };
}

/**
 * From schedstat (ns): on-CPU ms of a process's main thread and of its other threads, and the ms its main
 * thread was runnable but waiting for a core (event-loop delay the agent's code did not cause).
 */
function cpuMs(pid: number): { main: number; others: number; mainWaiting: number } {
  let main = 0;
  let others = 0;
  let mainWaiting = 0;
  for (const tid of readdirSync(`/proc/${pid}/task`)) {
    try {
      const [onCpu, waiting] = readFileSync(`/proc/${pid}/task/${tid}/schedstat`, 'utf8').split(' ');
      if (tid === String(pid)) {
        main += Number(onCpu) / 1e6;
        mainWaiting += Number(waiting) / 1e6;
      } else others += Number(onCpu) / 1e6;
    } catch {
      // The thread ended between the listing and the read.
    }
  }
  return { main, others, mainWaiting };
}

interface Sample {
  lagP99Ms: number;
  lagMaxMs: number;
  hitP99Ms: number;
  windowMs: number;
  agentMainMs: number;
  agentOtherMs: number;
  agentWaitingMs: number;
  emulatorMs: number;
  calls: number;
}

const emulator = await startEmulatorProcess();
const agent = await startAgentProcess({
  emulatorUrl: emulator.url,
  command: [...AGENT_CORE, 'bun', 'bench/servers/agent-variant.ts'],
  args: ['--bench-metrics', 'on', '--bench-loop-delay', '--token-issuer', emulator.url],
});
const rows = new Map<string, Sample[]>([
  [IDLE, []],
  ...STORMS.map((s) => [s.name, []] as [string, Sample[]]),
]);

async function measure(name: string, during: () => Promise<unknown>): Promise<Sample> {
  await scrape(agent.metricsUrl); // starts new windows for both delay readings
  const calls0 = (await emulator.stats()).assumeRoleCalls;
  const agent0 = cpuMs(agent.child.pid);
  const emulator0 = cpuMs(emulator.child.pid);
  const startedAt = performance.now();
  const { probe } = await probeDuring(agent.credentialsUrl, hot, during, 200, AGENT_CORE);
  const windowMs = performance.now() - startedAt;
  const lag = await scrape(agent.metricsUrl);
  const agent1 = cpuMs(agent.child.pid);
  const emulator1 = cpuMs(emulator.child.pid);
  if (probe.errors > 0) throw new Error(`${name}: ${probe.errors} cached-pod requests failed`);
  return {
    lagP99Ms: lag.p99Ms,
    lagMaxMs: lag.maxMs,
    hitP99Ms: probe.p99Ms,
    windowMs,
    agentMainMs: agent1.main - agent0.main,
    agentOtherMs: agent1.others - agent0.others,
    agentWaitingMs: agent1.mainWaiting - agent0.mainWaiting,
    emulatorMs: emulator1.main + emulator1.others - emulator0.main - emulator0.others,
    calls: (await emulator.stats()).assumeRoleCalls - calls0,
  };
}

let hot = '';
try {
  [hot = ''] = await emulator.issueTokens(1, { prefix: 'hot' });
  await getCredentials(agent.credentialsUrl, hot);
  for (let rep = 0; rep < REPS; rep++) {
    const windows: number[] = [];
    for (const [i, storm] of STORMS.entries()) {
      const tokens = await emulator.issueTokens(NEW_PODS, { prefix: `r${rep}-s${i}`, concurrency: 32 });
      await emulator.setFaults(storm.faults);
      const sample = await measure(storm.name, () =>
        requestEachToken(agent.credentialsUrl, tokens, CONCURRENCY),
      );
      await emulator.resetFaults();
      rows.get(storm.name)?.push(sample);
      windows.push(sample.windowMs);
    }
    // Idle as long as this repetition's storms took (the prober's settle time included), so the largest
    // delay of a window is not compared across windows of different lengths.
    const idleMs = Math.max(0, median(windows) - 200);
    rows.get(IDLE)?.push(await measure(IDLE, () => Bun.sleep(idleMs)));
  }
} finally {
  await agent.stop();
  await emulator.stop();
}

const med = (samples: readonly Sample[], pick: (s: Sample) => number) => median(samples.map(pick));
const idle = rows.get(IDLE) ?? [];
const floor = rows.get(FLOOR) ?? [];
/** "value (ratio x base)" of one reading, medians of the repetitions. */
const cell = (samples: readonly Sample[], base: readonly Sample[], pick: (s: Sample) => number) =>
  `${round(med(samples, pick))} (${round(ratio(med(samples, pick), med(base, pick)))}x)`;
const perCall = (pick: (s: Sample) => number) => (s: Sample) => (s.calls === 0 ? 0 : pick(s) / s.calls);
const delayP99 = (s: Sample) => s.lagP99Ms;
const delayMax = (s: Sample) => s.lagMaxMs;
const hitP99 = (s: Sample) => s.hitP99Ms;
console.log(
  `medians of ${REPS} runs; ${NEW_PODS} new pods, ${CONCURRENCY} at a time, per storm; event-loop delay of a 1 ms timer in the agent; ${PIN ? 'agent and prober on core 0, emulator and load on core 1' : 'not pinned'}`,
);
console.log(
  '| window | loop delay p99 ms (x idle) | loop delay max ms (x idle) | hit p99 ms (x idle) | x floor: delay p99 / max / hit p99 | agent main thread waiting for a core (ms) | EKS Auth calls | CPU ms per call: agent main thread / other threads / emulator | window (ms) |',
);
console.log('|---|---|---|---|---|---|---|---|---|');
for (const [name, samples] of rows) {
  const storm = name !== IDLE;
  const vsFloor = [delayP99, delayMax, hitP99].map((pick) =>
    round(ratio(med(samples, pick), med(floor, pick))),
  );
  const cpu = [(s: Sample) => s.agentMainMs, (s: Sample) => s.agentOtherMs, (s: Sample) => s.emulatorMs].map(
    (pick) => round(med(samples, perCall(pick))),
  );
  const cells = [
    name,
    cell(samples, idle, delayP99),
    cell(samples, idle, delayMax),
    cell(samples, idle, hitP99),
    storm ? vsFloor.join(' / ') : '',
    round(med(samples, (s) => s.agentWaitingMs)),
    med(samples, (s) => s.calls),
    storm ? cpu.join(' / ') : '',
    round(med(samples, (s) => s.windowMs)),
  ];
  console.log(`| ${cells.join(' | ')} |`);
}

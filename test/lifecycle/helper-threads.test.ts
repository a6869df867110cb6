// --helper-thread-nice: every thread but the main one is lowered to the nice value, threads started later at the
// next rescan; a thread that ended meanwhile is skipped, any other failure is reported once and stops the rescans.
import { describe, expect, test } from 'bun:test';
import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import { startAgent } from '../../src/agent/agent.ts';
import { deprioritiseHelperThreads, type ThreadSystem } from '../../src/agent/helper-threads.ts';
import { testConfig } from '../helpers/agent-config.ts';

const MAIN = 100;

/** Threads by id with their nice values; `fail` makes setNice of a thread throw the given errno name. */
function fakeThreads(nices: Record<number, number>, fail: Record<number, string> = {}) {
  const threads = new Map(Object.entries(nices).map(([tid, nice]) => [Number(tid), nice]));
  const calls: Array<[number, number]> = [];
  const system: ThreadSystem = {
    mainId: MAIN,
    list: () => [...threads.keys()],
    getNice: (tid) => threads.get(tid) ?? 0,
    setNice(tid, nice) {
      calls.push([tid, nice]);
      const code = fail[tid];
      if (code) throw Object.assign(new Error(`uv_os_setpriority returned ${code}`), { info: { code } });
      threads.set(tid, nice);
    },
  };
  return { threads, calls, system };
}

/** A scheduler the test ticks by hand. */
/** deprioritiseHelperThreads at nice 19 on a manual scheduler, its reported errors collected. */
function startRecordingErrors(system: ReturnType<typeof fakeThreads>['system']) {
  const errors: unknown[] = [];
  const timer = manualScheduler();
  deprioritiseHelperThreads({ nice: 19, system, scheduler: timer.scheduler, onError: (e) => errors.push(e) });
  return { errors, timer };
}

function manualScheduler() {
  let tick: (() => void) | undefined;
  let cancelled = false;
  return {
    scheduler: (fn: () => void) => {
      tick = fn;
      return () => {
        cancelled = true;
      };
    },
    tick: () => tick?.(),
    cancelled: () => cancelled,
  };
}

describe('deprioritiseHelperThreads', () => {
  test('lowers every thread but the main one to the nice value, and leaves those already as low or lower', () => {
    const { threads, calls, system } = fakeThreads({ [MAIN]: 0, 101: 0, 102: 5, 103: 19 });
    const timer = manualScheduler();
    deprioritiseHelperThreads({ nice: 10, system, scheduler: timer.scheduler });
    expect(calls).toEqual([
      [101, 10],
      [102, 10],
    ]);
    expect(Object.fromEntries(threads)).toEqual({ [MAIN]: 0, 101: 10, 102: 10, 103: 19 });
  });

  test('a thread started later is lowered at the next rescan; stop() ends the rescans', () => {
    const { threads, calls, system } = fakeThreads({ [MAIN]: 0, 101: 0 });
    const timer = manualScheduler();
    const helpers = deprioritiseHelperThreads({ nice: 19, system, scheduler: timer.scheduler });
    threads.set(104, 0);
    timer.tick();
    expect(calls).toEqual([
      [101, 19],
      [104, 19],
    ]);
    expect(helpers.rescan()).toBe(0);
    helpers.stop();
    expect(timer.cancelled()).toBe(true);
  });

  test('a thread that ended between the listing and the call is skipped, the rest still lowered', () => {
    const { threads, system } = fakeThreads({ [MAIN]: 0, 101: 0, 102: 0 }, { 101: 'ESRCH' });
    const { errors } = startRecordingErrors(system);
    expect(threads.get(102)).toBe(19);
    expect(errors).toEqual([]);
  });

  test('any other failure is reported once and stops the rescans', () => {
    const { threads, calls, system } = fakeThreads({ [MAIN]: 0, 101: 0, 102: 0 }, { 101: 'EPERM' });
    const { errors, timer } = startRecordingErrors(system);
    threads.set(105, 0);
    timer.tick();
    timer.tick();
    expect(errors).toHaveLength(1);
    expect(String(errors[0])).toContain('EPERM');
    expect(calls).toEqual([[101, 19]]);
  });

  test('where threads cannot be listed it does nothing', () => {
    const { calls, system } = fakeThreads({});
    const timer = manualScheduler();
    const helpers = deprioritiseHelperThreads({
      nice: 19,
      system: { ...system, list: () => undefined },
      scheduler: timer.scheduler,
    });
    expect(helpers.rescan()).toBe(0);
    expect(calls).toEqual([]);
  });

  test.each([0, 20, -1, 1.5])('nice %p is refused', (nice) => {
    expect(() => deprioritiseHelperThreads({ nice, system: fakeThreads({}).system })).toThrow(
      'nice must be an integer from 1 to 19',
    );
  });
});

describe('on Linux', () => {
  // In a child process: a nice value cannot be lowered back without privilege, and the runner's threads must keep theirs.
  test.skipIf(!existsSync('/proc/self/task'))(
    'the real threads: every helper gets the nice value, the main thread keeps its own',
    () => {
      const module = resolve(import.meta.dir, '../../src/agent/helper-threads.ts');
      const script = `
        import { readdirSync, readFileSync } from 'node:fs';
        import { deprioritiseHelperThreads } from ${JSON.stringify(module)};
        const worker = new Worker('data:text/javascript,setInterval(() => {}, 1000)');
        await fetch('http://127.0.0.1:9').catch(() => {});
        // Threads listed before the scan are all in it; one the runtime starts later (a JIT or GC helper) is only
        // caught by the next rescan, 1 s on, so it is not counted here.
        const before = new Set(readdirSync('/proc/self/task'));
        deprioritiseHelperThreads({ nice: 7 }).stop();
        const nices = {};
        for (const tid of readdirSync('/proc/self/task')) {
          if (!before.has(tid)) continue;
          let stat;
          try { stat = readFileSync('/proc/self/task/' + tid + '/stat', 'utf8'); } catch { continue; }
          nices[tid === String(process.pid) ? 'main' : tid] = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[16]);
        }
        worker.terminate();
        console.log(JSON.stringify(nices));
        process.exit(0);
      `;
      const out = Bun.spawnSync([process.execPath, '-e', script], { stdout: 'pipe', stderr: 'pipe' });
      expect(out.stderr.toString()).toBe('');
      const nices = JSON.parse(out.stdout.toString()) as Record<string, number>;
      const { main, ...helpers } = nices;
      expect(main).toBe(0);
      // The HTTP client, the worker and the allocator's threads at least.
      expect(Object.keys(helpers).length).toBeGreaterThanOrEqual(2);
      expect(new Set(Object.values(helpers))).toEqual(new Set([7]));
    },
  );
});

test('startAgent lowers the helper threads with --helper-thread-nice, and not with 0', async () => {
  for (const nice of [12, 0]) {
    const { calls, system } = fakeThreads({ [MAIN]: 0, 101: 0 });
    const agent = await startAgent(testConfig([], { helperThreadNice: nice }), {
      helperThreads: system,
      withoutSideListeners: true,
    });
    await agent.stop();
    expect(calls).toEqual(nice === 0 ? [] : [[101, nice]]);
  }
});

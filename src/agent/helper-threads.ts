// Keeps the agent's own helper threads (Bun's HTTP client, JavaScriptCore's JIT compilers, the signature workers,
// the allocator's scavenger) at a lower scheduling priority than the main thread, which alone answers cached
// pods. On a core they share, a busy helper otherwise holds it for a whole scheduler slice while the main thread
// waits: in a pod-start storm against an EKS Auth answering 500 with a 1 MB message, Bun's HTTP client read the
// bodies for ~40 ms per 0.3 s window on the main thread's core and the main thread waited 54 ms for it
// (bench/hostile-upstream.bench.ts, README). A higher nice value costs nothing when the core is free; when the
// main thread is busy, the helpers get its leftovers and still a share (nice 19 has 1.5% of a nice-0 thread's
// weight), so misses slow down before hits do, and never stop.
//
// Linux keeps the nice value per thread, and setpriority(PRIO_PROCESS, tid) sets one thread's (man 2
// setpriority, "BUGS": a Linux behaviour POSIX does not promise); raising it needs no privilege. Threads start
// lazily (the HTTP client at the first fetch, JIT threads when code gets hot), so the list is read again
// periodically. Where threads cannot be listed (no /proc) this does nothing.
import { readdirSync } from 'node:fs';
import { getPriority, setPriority } from 'node:os';
import { intervalScheduler, type TickScheduler } from '../observability/event-loop-monitor.ts';

/** What this needs from the system; injected so tests see every call. */
export interface ThreadSystem {
  /** The main thread's id (on Linux, the process id). */
  readonly mainId: number;
  /** Ids of the process's live threads, or undefined where they cannot be listed. */
  list(): number[] | undefined;
  getNice(tid: number): number;
  setNice(tid: number, nice: number): void;
}

export const linuxThreads: ThreadSystem = {
  mainId: process.pid,
  list() {
    try {
      return readdirSync('/proc/self/task').map(Number);
    } catch {
      return undefined;
    }
  },
  getNice: (tid) => getPriority(tid),
  setNice: (tid, nice) => setPriority(tid, nice),
};

export interface HelperThreadOptions {
  /** Nice value (1-19) each thread but the main one gets. */
  readonly nice: number;
  /** How often the threads are listed again, for those started since. */
  readonly rescanMs?: number;
  readonly system?: ThreadSystem;
  readonly scheduler?: TickScheduler;
  /** Called once, with the first error that is not a thread having ended. */
  readonly onError?: (err: unknown) => void;
}

export const HELPER_THREAD_RESCAN_MS = 1_000;

export interface HelperThreads {
  /** Lists the threads now and lowers any helper below `nice`; returns how many it lowered. */
  rescan(): number;
  stop(): void;
}

/** Node's and Bun's os calls throw ERR_SYSTEM_ERROR with the errno's name in `info.code`. */
function threadEnded(err: unknown): boolean {
  const e = err as { code?: string; info?: { code?: string } };
  return e.code === 'ESRCH' || e.info?.code === 'ESRCH';
}

export function deprioritiseHelperThreads(options: HelperThreadOptions): HelperThreads {
  const { nice } = options;
  if (!Number.isInteger(nice) || nice < 1 || nice > 19) {
    throw new Error(`helper threads: nice must be an integer from 1 to 19 (got ${nice})`);
  }
  const system = options.system ?? linuxThreads;
  let failed = false;
  const rescan = () => {
    if (failed) return 0;
    let lowered = 0;
    for (const tid of system.list() ?? []) {
      if (tid === system.mainId) continue;
      try {
        if (system.getNice(tid) >= nice) continue;
        system.setNice(tid, nice);
        lowered++;
      } catch (err) {
        // A thread that ended between the listing and the call is no error; anything else stops the rescans.
        if (threadEnded(err)) continue;
        failed = true;
        options.onError?.(err);
        return lowered;
      }
    }
    return lowered;
  };
  rescan();
  const cancel = (options.scheduler ?? intervalScheduler)(
    rescan,
    options.rescanMs ?? HELPER_THREAD_RESCAN_MS,
  );
  return { rescan, stop: cancel };
}

// Per-thread CPU of a process from /proc/PID/task/TID/{comm,schedstat} (Linux): on-CPU and runnable-but-waiting
// time of each thread, so a bench can say which of a process's own threads (JIT compiler, GC helpers, Bun's HTTP
// client, workers) ran in a window on the core its main thread needed.
import { readdirSync, readFileSync } from 'node:fs';

export interface ThreadTimes {
  readonly name: string;
  /** ms on a core since the thread started. */
  readonly onCpuMs: number;
  /** ms runnable but waiting for a core since the thread started. */
  readonly waitingMs: number;
}

/** Every live thread of `pid` by tid; the main thread is named "main" whatever its comm. */
export function readThreads(pid: number): Map<string, ThreadTimes> {
  const threads = new Map<string, ThreadTimes>();
  let tids: string[];
  try {
    tids = readdirSync(`/proc/${pid}/task`);
  } catch {
    return threads;
  }
  for (const tid of tids) {
    try {
      const [onCpu, waiting] = readFileSync(`/proc/${pid}/task/${tid}/schedstat`, 'utf8').split(' ');
      const comm = readFileSync(`/proc/${pid}/task/${tid}/comm`, 'utf8').trim();
      threads.set(tid, {
        name: tid === String(pid) ? 'main' : threadGroup(comm),
        onCpuMs: Number(onCpu) / 1e6,
        waitingMs: Number(waiting) / 1e6,
      });
    } catch {
      // The thread ended between the listing and the read.
    }
  }
  return threads;
}

/** Groups numbered threads of one kind ("Heap Helper Thread" x N, "Bun Pool 3") under one name. */
export function threadGroup(comm: string): string {
  return comm.replace(/[\s#-]*\d+$/, '').trim() || comm;
}

/**
 * On-CPU ms per thread group between two readings of the same process; a thread that started in between counts
 * from zero, one that ended in between is lost (its time is gone from /proc with it).
 */
export function cpuByGroup(
  before: ReadonlyMap<string, ThreadTimes>,
  after: ReadonlyMap<string, ThreadTimes>,
): Map<string, number> {
  const byGroup = new Map<string, number>();
  for (const [tid, t] of after) {
    const ms = t.onCpuMs - (before.get(tid)?.onCpuMs ?? 0);
    byGroup.set(t.name, (byGroup.get(t.name) ?? 0) + ms);
  }
  return byGroup;
}

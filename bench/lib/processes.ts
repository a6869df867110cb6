// Child processes for benches: spawn, keep a bounded tail of their output for diagnostics, read RSS, stop.
import { readFileSync } from 'node:fs';
import type { Subprocess } from 'bun';
import { median } from './stats.ts';

/** Bytes of a child's stderr kept for error messages; older output is dropped. */
const TAIL_BYTES = 4096;

export interface Child {
  readonly proc: Subprocess;
  readonly pid: number;
  /** The last few KB the child wrote to stderr (and stdout when not consumed by the caller). */
  tail(): string;
  /** SIGTERM, then SIGKILL after graceMs; resolves when the process has exited. */
  stop(graceMs?: number): Promise<void>;
}

export interface SpawnOptions {
  env?: Record<string, string | undefined>;
  /** Keep stdout as a stream for the caller (e.g. the emulator's JSON line). */
  pipeStdout?: boolean;
}

async function drainInto(stream: ReadableStream<Uint8Array>, push: (s: string) => void): Promise<void> {
  const decoder = new TextDecoder();
  try {
    for await (const chunk of stream) push(decoder.decode(chunk, { stream: true }));
  } catch {
    // The child went away; the tail keeps what it said.
  }
}

export function spawnChild(cmd: string[], options: SpawnOptions = {}): Child {
  const proc = Bun.spawn(cmd, {
    env: { ...process.env, ...options.env },
    stdin: 'ignore',
    stdout: options.pipeStdout ? 'pipe' : 'ignore',
    stderr: 'pipe',
  });
  let tail = '';
  const push = (s: string) => {
    tail = (tail + s).slice(-TAIL_BYTES);
  };
  void drainInto(proc.stderr as ReadableStream<Uint8Array>, push);
  return {
    proc,
    pid: proc.pid,
    tail: () => tail,
    async stop(graceMs = 3000) {
      if (proc.exitCode !== null || proc.signalCode !== null) return;
      proc.kill('SIGTERM');
      const timer = setTimeout(() => proc.kill('SIGKILL'), graceMs);
      await proc.exited;
      clearTimeout(timer);
    },
  };
}

/** Resident set size of a whole process (all its threads) in MB, from /proc/<pid>/status VmRSS. */
export function rssMb(pid: number): number {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const match = /^VmRSS:\s+(\d+)\s+kB/m.exec(status);
  if (!match) throw new Error(`no VmRSS for pid ${pid}`);
  return Number(match[1]) / 1024;
}

/** Median of a few RSS samples in MB, so one page-in spike does not decide. */
export async function settledRssMb(pid: number, samples = 5, gapMs = 200): Promise<number> {
  const values: number[] = [];
  for (let i = 0; i < samples; i++) {
    values.push(rssMb(pid));
    await Bun.sleep(gapMs);
  }
  return median(values);
}

/** Polls url until it answers 200 or timeoutMs passes; returns when it did. */
export async function waitForOk(url: string, timeoutMs: number, child?: Child): Promise<void> {
  const deadline = performance.now() + timeoutMs;
  while (performance.now() < deadline) {
    if (child && child.proc.exitCode !== null) {
      throw new Error(`process exited (${child.proc.exitCode}) before ${url} was ready:\n${child.tail()}`);
    }
    try {
      const res = await fetch(url, { signal: AbortSignal.timeout(500) });
      await res.arrayBuffer();
      if (res.status === 200) return;
    } catch {
      // Not listening yet.
    }
    await Bun.sleep(2);
  }
  throw new Error(`${url} not ready after ${timeoutMs} ms${child ? `:\n${child.tail()}` : ''}`);
}

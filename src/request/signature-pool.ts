// Runs signature checks either inline (workers = 0) or on a bounded piscina pool.
//
// piscina on Bun 1.4.5: works through the package's ESM entry (`import { Piscina } from 'piscina'`);
// importing its CJS file by path loses the named export. The worker is a .ts file Bun runs directly.
//
// Inside a `bun build --compile` executable piscina cannot start workers, even with both worker files given
// as extra entrypoints: piscina spawns its own dist/worker.js from a path resolved at build time (the
// build machine's node_modules), and Bun only rewrites `new URL(...)` written inside `new Worker(...)`, so
// our task file resolves to /$bunfs/root/verify-worker.ts while it is embedded as
// /$bunfs/root/src/request/verify-worker.js. There the pool falls back to inline checks (mode 'inline'),
// which bench/verify.bench.ts measures as cheaper than a worker hand-off on small nodes anyway.
import { Piscina } from 'piscina';
import { AgentError } from '../errors.ts';
import type { Metrics } from '../observability/metrics.ts';
import { type SignatureResult, type SignatureTask, verifySignature } from './verify-signature.ts';

export interface SignaturePoolOptions {
  /** Worker threads; 0 runs the same check inline on the calling thread. */
  workers: number;
  /** Checks allowed to wait for a worker; beyond it callers get Overloaded at once. */
  maxQueue: number;
  metrics?: Metrics | undefined;
}

export interface SignaturePool {
  /** 'inline' when workers = 0 or inside a compiled executable (see above). */
  readonly mode: 'inline' | 'workers';
  run(task: SignatureTask): Promise<SignatureResult> | SignatureResult;
  close(): Promise<void>;
}

export const WORKER_URL = new URL('./verify-worker.ts', import.meta.url);

/** Modules of a `bun build --compile` executable live in Bun's embedded /$bunfs/ file system. */
export const IN_COMPILED_EXECUTABLE = import.meta.url.includes('/$bunfs/');

export function createSignaturePool(options: SignaturePoolOptions): SignaturePool {
  const { workers, maxQueue, metrics } = options;
  if (!Number.isInteger(workers) || workers < 0) throw new TypeError('workers must be an integer >= 0');
  if (!Number.isInteger(maxQueue) || maxQueue < 0) throw new TypeError('maxQueue must be an integer >= 0');
  if (workers === 0 || IN_COMPILED_EXECUTABLE) {
    return { mode: 'inline', run: verifySignature, close: async () => {} };
  }

  const pool = new Piscina({
    filename: WORKER_URL.href,
    minThreads: workers,
    maxThreads: workers,
    maxQueue,
    // A worker runs one check at a time: the checks are CPU-bound, so more would only add latency.
    concurrentTasksPerWorker: 1,
    idleTimeout: Number.POSITIVE_INFINITY,
    // Measured on Bun 1.4.5 (2 cores): the default Atomics.wait hand-off costs ~28 µs per task, twice the
    // RS256 check itself; message-port wake-ups ('disabled') cost ~15 µs. See bench/verify.bench.ts.
    atomics: 'disabled',
  });
  // Our own count, so "full" is decided synchronously and exactly, before piscina sees the task.
  const capacity = workers + maxQueue;
  let pending = 0;
  const depth = metrics?.verifyQueueDepth;

  return {
    mode: 'workers',
    async run(task) {
      if (pending >= capacity) throw new AgentError('Overloaded', 'token verification queue is full');
      pending++;
      depth?.set(Math.max(0, pending - workers));
      try {
        return (await pool.run(task)) as SignatureResult;
      } catch (err) {
        throw new AgentError('InternalError', 'token verification worker failed', { cause: err });
      } finally {
        pending--;
        depth?.set(Math.max(0, pending - workers));
      }
    },
    async close() {
      await pool.destroy();
    },
  };
}

// Runs signature checks either inline (workers = 0) or on a fixed pool of node:worker_threads workers.
//
// Our own pool rather than piscina: piscina cannot start workers inside a `bun build --compile` executable
// (it spawns its own dist/worker.js from a path fixed at build time), and its hand-off cost more than the
// RS256 check itself (bench/verify.bench.ts).
//
// Each task goes at once to the worker with the fewest tasks (ties: round-robin), so a worker always has
// the next task in its message queue instead of waiting for a round trip to the main thread.
// createSignaturePool is one closure over the pool's state (slots, pending count, ids) shared by its small
// inner functions (start, settle, take, pick, lost); split, they would pass that state around. About 210 lines.
import { existsSync } from 'node:fs';
import type { Worker } from 'node:worker_threads';
import { AgentError } from '../errors.ts';
import type { TokenMetrics } from '../observability/metrics.ts';
import { type SignatureResult, type SignatureTask, verifySignature } from './verify-signature.ts';
import type { VerifyReply, VerifyRequest } from './verify-worker.ts';

export interface SignaturePoolOptions {
  /** Worker threads; 0 runs the same check inline on the calling thread. */
  workers: number;
  /** Checks allowed to wait for a worker; beyond it callers get Overloaded at once. */
  maxQueue: number;
  metrics?: Pick<TokenMetrics, 'verifyQueueDepth'> | undefined;
  /** Tests only: a different worker script speaking the same protocol (see verify-worker.ts). */
  workerUrl?: URL | undefined;
}

export interface SignaturePool {
  readonly mode: 'inline' | 'workers';
  run(task: SignatureTask): Promise<SignatureResult> | SignatureResult;
  /** Starts one worker ahead of the first check (when keys have loaded), so that check does not wait for it. */
  warm(): void;
  /** Terminates the workers; checks still pending fail with ShuttingDown. */
  close(): Promise<void>;
}

// Bun 1.4.5 does not rewrite `new URL('./x.ts', import.meta.url)` when bundling: inside a compiled
// executable import.meta.url is the executable's own file:///$bunfs/root/<name>, and each extra entrypoint is
// embedded as <its path from the entrypoints' common directory>.js. That directory is src/ for
// scripts/build-executable.sh and the repository root when an entry outside src/ (a test) is built with it.
const EMBEDDED_WORKER_PATHS = ['./token/verify-worker.js', './src/token/verify-worker.js'];

/** The worker script: beside this file when run from source, else wherever the executable embedded it. */
export function verifyWorkerUrl(moduleUrl: string = import.meta.url): URL {
  if (!moduleUrl.includes('/$bunfs/')) return new URL('./verify-worker.ts', moduleUrl);
  for (const path of EMBEDDED_WORKER_PATHS) {
    const url = new URL(path, moduleUrl);
    if (existsSync(url)) return url;
  }
  // Loud at start-up rather than a silent inline fallback or a pool whose every check fails.
  throw new Error(
    'the token verification worker is not embedded in this executable: build it with ' +
      'scripts/build-executable.sh (src/token/verify-worker.ts must be an extra entrypoint)',
  );
}

interface Pending {
  resolve(result: SignatureResult): void;
  reject(err: AgentError): void;
}

interface Slot {
  worker: Worker | undefined;
  readonly inFlight: Map<number, Pending>;
  /** Whether the current worker ever answered: one that never did is replaced lazily (see lost()). */
  answered: boolean;
}

export function createSignaturePool(options: SignaturePoolOptions): SignaturePool {
  const { workers, maxQueue, metrics, workerUrl } = options;
  if (!Number.isInteger(workers) || workers < 0) throw new TypeError('workers must be an integer >= 0');
  if (!Number.isInteger(maxQueue) || maxQueue < 0) throw new TypeError('maxQueue must be an integer >= 0');
  if (workers === 0) return { mode: 'inline', run: verifySignature, warm() {}, close: async () => {} };

  const scriptUrl = workerUrl ?? verifyWorkerUrl();
  const capacity = workers + maxQueue;
  const slots: Slot[] = Array.from({ length: workers }, () => ({
    worker: undefined,
    inFlight: new Map(),
    answered: false,
  }));
  const depth = metrics?.verifyQueueDepth;
  let pending = 0; // accepted, not yet settled
  let busy = 0; // slots with at least one task: each runs one, the rest of `pending` waits
  let nextId = 0;
  let cursor = 0;
  let closed = false;

  function startWorker(slot: Slot): Worker {
    // Loaded with the first worker (at the first check), not at start: a claims-mode agent never starts one.
    const { Worker: WorkerThread } = require('node:worker_threads') as typeof import('node:worker_threads');
    const worker = new WorkerThread(scriptUrl);
    // Idle workers never keep the process alive; a worker is ref'd only while it has tasks (see run()).
    worker.unref();
    worker.on('message', (reply: VerifyReply) => settle(slot, reply));
    worker.on('error', (err) => lost(slot, worker, err));
    worker.on('exit', (code) => lost(slot, worker, new Error(`verify worker exited with code ${code}`)));
    slot.worker = worker;
    slot.answered = false;
    return worker;
  }

  function updateDepth(): void {
    depth?.set(pending - busy);
  }

  function take(slot: Slot, id: number): Pending | undefined {
    const entry = slot.inFlight.get(id);
    if (!entry) return undefined;
    slot.inFlight.delete(id);
    pending--;
    if (slot.inFlight.size === 0) {
      busy--;
      slot.worker?.unref();
    }
    return entry;
  }

  function settle(slot: Slot, reply: VerifyReply): void {
    const entry = take(slot, reply.id);
    if (!entry) return;
    slot.answered = true;
    updateDepth();
    if (reply.result !== undefined) entry.resolve(reply.result);
    else entry.reject(new AgentError('InternalError', 'token verification failed in a worker'));
  }

  function failAll(slot: Slot, err: AgentError): void {
    for (const id of [...slot.inFlight.keys()]) take(slot, id)?.reject(err);
    updateDepth();
  }

  // 'error' and 'exit' both arrive for one crash; only the first for the current worker counts.
  function lost(slot: Slot, worker: Worker, cause: unknown): void {
    if (slot.worker !== worker) return;
    slot.worker = undefined;
    void worker.terminate();
    // InternalError is retryable: the same check on the replacement worker may well succeed.
    failAll(slot, new AgentError('InternalError', 'token verification worker stopped', { cause }));
    // A worker that never answered may be unable to start at all (e.g. its file is missing): replacing it
    // at once would spin; the next task assigned to this slot starts one instead.
    if (!closed && slot.answered) startWorker(slot);
  }

  /** Least-busy slot; scanning from a moving cursor spreads ties round-robin. */
  function pick(): Slot {
    let best = slots[cursor]!;
    for (let i = 1; i < slots.length && best.inFlight.size > 0; i++) {
      const slot = slots[(cursor + i) % slots.length]!;
      if (slot.inFlight.size < best.inFlight.size) best = slot;
    }
    cursor = (cursor + 1) % slots.length;
    return best;
  }

  // Workers start with the pool's first task, all together, not here: each is a whole JavaScript VM (~4 MB of
  // RSS, bench/footprint.bench.ts), and an agent whose keys never load, or whose node runs no pod that asks,
  // never needs one. Only the first check waits for a worker to start, unless warm() started one when keys loaded.
  let started = false;

  return {
    mode: 'workers',
    run(task) {
      if (closed)
        return Promise.reject(new AgentError('ShuttingDown', 'token verification is shutting down'));
      if (pending >= capacity) {
        return Promise.reject(new AgentError('Overloaded', 'token verification queue is full'));
      }
      const slot = pick();
      return new Promise<SignatureResult>((resolve, reject) => {
        const id = nextId++;
        try {
          if (!started) {
            started = true;
            for (const s of slots) if (s.worker === undefined) startWorker(s);
          }
          const worker = slot.worker ?? startWorker(slot);
          slot.inFlight.set(id, { resolve, reject });
          pending++;
          if (slot.inFlight.size === 1) {
            busy++;
            worker.ref();
          }
          updateDepth();
          worker.postMessage({ id, task } satisfies VerifyRequest);
        } catch (err) {
          // e.g. a task that cannot be cloned: fails alone.
          take(slot, id);
          updateDepth();
          reject(new AgentError('InternalError', 'token verification could not start', { cause: err }));
        }
      });
    },
    warm() {
      if (!closed && slots[0]!.worker === undefined) startWorker(slots[0]!);
    },
    async close() {
      if (closed) return;
      closed = true;
      const stopping: Promise<number>[] = [];
      for (const slot of slots) {
        const worker = slot.worker;
        slot.worker = undefined;
        if (worker) stopping.push(worker.terminate());
        failAll(slot, new AgentError('ShuttingDown', 'token verification is shutting down'));
      }
      await Promise.all(stopping);
    },
  };
}

// Runs signature checks either inline (workers = 0) or on a fixed pool of worker threads.
//
// The workers are Bun's Web Workers (the global Worker), not node:worker_threads: Bun's node:worker_threads
// Worker wraps the same thread with Node's machinery on both sides (the module in the main thread, parentPort and
// its streams in the worker), which cost a signature-mode agent ~2 MB of resident memory with one idle worker
// (README, footprint). `smol: true` (a small JavaScriptCore heap for the worker) was measured and saves nothing
// idle, so it is not set.
//
// Our own pool rather than piscina: piscina cannot start workers inside a `bun build --compile` executable
// (it spawns its own dist/worker.js from a path fixed at build time), and its hand-off cost more than the
// RS256 check itself (bench/verify.bench.ts).
//
// Each task goes at once to the worker with the fewest tasks (ties: round-robin), so a worker always has
// the next task in its message queue instead of waiting for a round trip to the main thread.
// The pool's state (slots, pending count, ids) is one object that its small functions (start, settle, take,
// pick, lost, dispatch) take explicitly. Over 200 lines: those functions and the worker-path rules are one unit.
import { existsSync } from 'node:fs';
import { AgentError } from '../errors.ts';
import type { TokenMetrics } from '../observability/metrics.ts';
import { createStarvationProbe, type StarvationProbe } from '../shared/loop-starvation.ts';
import { type SignatureResult, type SignatureTask, verifySignature } from './verify-signature.ts';
import { encodeRequest, type VerifyReply } from './verify-wire.ts';

export interface SignaturePoolOptions {
  /** Worker threads; 0 runs the same check inline on the calling thread. */
  workers: number;
  /** Checks allowed to wait for a worker; beyond it callers get Overloaded at once. */
  maxQueue: number;
  metrics?: Pick<TokenMetrics, 'verifyQueueDepth'> | undefined;
  /** Tests only: a different worker script speaking the same protocol (see verify-worker.ts). */
  workerUrl?: URL | undefined;
  /** Tests only: tells when the event loop is starved (default: a real probe, loop-starvation.ts). */
  probe?: StarvationProbe;
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
  /** Settles when the current worker's thread has closed ('close' event), for close(). */
  closed: Promise<void> | undefined;
  readonly inFlight: Map<number, Pending>;
  /** Whether the current worker ever answered: one that never did is replaced lazily (see lost()). */
  answered: boolean;
}

/** The pool's shared state: its slots, counts and ids, read and updated by the functions below. */
interface PoolState {
  readonly scriptUrl: URL;
  readonly slots: Slot[];
  readonly depth: TokenMetrics['verifyQueueDepth'] | undefined;
  /** Accepted, not yet settled. */
  pending: number;
  /** Slots with at least one task: each runs one, the rest of `pending` waits. */
  busy: number;
  nextId: number;
  cursor: number;
  closed: boolean;
  /** Whether the first task has started every slot's worker. */
  started: boolean;
}

function startWorker(pool: PoolState, slot: Slot): Worker {
  // Idle workers never keep the process alive (ref: false); a worker is ref'd only while it has tasks (see run()).
  const worker = new Worker(pool.scriptUrl, { ref: false });
  worker.addEventListener('message', (event) => settle(pool, slot, event.data as VerifyReply));
  // An uncaught error, or a script that cannot load: 'close' (code 1) follows, and lost() counts only the first.
  worker.addEventListener('error', (event) =>
    lost(pool, slot, worker, new Error(`verify worker failed: ${event.message}`)),
  );
  slot.closed = new Promise<void>((resolve) =>
    worker.addEventListener('close', (event) => {
      resolve();
      lost(pool, slot, worker, new Error(`verify worker exited with code ${event.code}`));
    }),
  );
  slot.worker = worker;
  slot.answered = false;
  return worker;
}

function updateDepth(pool: PoolState): void {
  pool.depth?.set(pool.pending - pool.busy);
}

function take(pool: PoolState, slot: Slot, id: number): Pending | undefined {
  const entry = slot.inFlight.get(id);
  if (!entry) return undefined;
  slot.inFlight.delete(id);
  pool.pending--;
  if (slot.inFlight.size === 0) {
    pool.busy--;
    slot.worker?.unref();
  }
  return entry;
}

function settle(pool: PoolState, slot: Slot, reply: VerifyReply): void {
  const [id, result] = reply;
  const entry = take(pool, slot, id);
  if (!entry) return;
  slot.answered = true;
  updateDepth(pool);
  if (result !== undefined) entry.resolve(result);
  else entry.reject(new AgentError('InternalError', 'token verification failed in a worker'));
}

function failAll(pool: PoolState, slot: Slot, err: AgentError): void {
  for (const id of [...slot.inFlight.keys()]) take(pool, slot, id)?.reject(err);
  updateDepth(pool);
}

// 'error' and 'exit' both arrive for one crash; only the first for the current worker counts.
function lost(pool: PoolState, slot: Slot, worker: Worker, cause: unknown): void {
  if (slot.worker !== worker) return;
  slot.worker = undefined;
  worker.terminate();
  // InternalError is retryable: the same check on the replacement worker may well succeed.
  failAll(pool, slot, new AgentError('InternalError', 'token verification worker stopped', { cause }));
  // A worker that never answered may be unable to start at all (e.g. its file is missing): replacing it
  // at once would spin; the next task assigned to this slot starts one instead.
  if (!pool.closed && slot.answered) startWorker(pool, slot);
}

/** Least-busy slot; scanning from a moving cursor spreads ties round-robin. */
function pick(pool: PoolState): Slot {
  const { slots } = pool;
  let best = slots[pool.cursor]!;
  for (let i = 1; i < slots.length && best.inFlight.size > 0; i++) {
    const slot = slots[(pool.cursor + i) % slots.length]!;
    if (slot.inFlight.size < best.inFlight.size) best = slot;
  }
  pool.cursor = (pool.cursor + 1) % slots.length;
  return best;
}

/** Hands one accepted task to `slot`'s worker (starting workers on the pool's first task). */
function dispatch(pool: PoolState, slot: Slot, task: SignatureTask, settleWith: Pending): void {
  const id = pool.nextId++;
  try {
    if (!pool.started) {
      pool.started = true;
      for (const s of pool.slots) if (s.worker === undefined) startWorker(pool, s);
    }
    const worker = slot.worker ?? startWorker(pool, slot);
    slot.inFlight.set(id, settleWith);
    pool.pending++;
    if (slot.inFlight.size === 1) {
      pool.busy++;
      worker.ref();
    }
    updateDepth(pool);
    worker.postMessage(encodeRequest(id, task));
  } catch (err) {
    // e.g. a task that cannot be cloned: fails alone.
    take(pool, slot, id);
    updateDepth(pool);
    settleWith.reject(new AgentError('InternalError', 'token verification could not start', { cause: err }));
  }
}

export function createSignaturePool(options: SignaturePoolOptions): SignaturePool {
  const { workers, maxQueue, metrics, workerUrl } = options;
  const probe = options.probe ?? createStarvationProbe();
  if (!Number.isInteger(workers) || workers < 0) throw new TypeError('workers must be an integer >= 0');
  if (!Number.isInteger(maxQueue) || maxQueue < 0) throw new TypeError('maxQueue must be an integer >= 0');
  if (workers === 0) return { mode: 'inline', run: verifySignature, warm() {}, close: async () => {} };

  const capacity = workers + maxQueue;
  // Workers start with the pool's first task, all together, not here: each is a whole JavaScript VM (~4 MB of
  // RSS, bench/footprint.bench.ts), and an agent whose keys never load, or whose node runs no pod that asks,
  // never needs one. Only the first check waits for a worker to start, unless warm() started one when keys loaded.
  const pool: PoolState = {
    scriptUrl: workerUrl ?? verifyWorkerUrl(),
    slots: Array.from({ length: workers }, () => ({
      worker: undefined,
      closed: undefined,
      inFlight: new Map(),
      answered: false,
    })),
    depth: metrics?.verifyQueueDepth,
    pending: 0,
    busy: 0,
    nextId: 0,
    cursor: 0,
    closed: false,
    started: false,
  };
  const { slots } = pool;

  return {
    mode: 'workers',
    run(task) {
      if (pool.closed)
        return Promise.reject(new AgentError('ShuttingDown', 'token verification is shutting down'));
      // Workers' answers are starved while a backlog of ready sockets lasts (Bun delivers no worker message
      // until it has read them all: ~50 ms for 300 pods' requests at once), so no token checked by then could
      // start its EKS Auth call, and EKS Auth's full token bucket earns nothing meanwhile. One check per
      // starved interval runs here instead: a storm's first calls go out while its requests are still read.
      if (pool.pending > 0 && probe.starved()) return verifySignature(task);
      if (pool.pending >= capacity) {
        return Promise.reject(new AgentError('Overloaded', 'token verification queue is full'));
      }
      const slot = pick(pool);
      return new Promise<SignatureResult>((resolve, reject) =>
        dispatch(pool, slot, task, { resolve, reject }),
      );
    },
    warm() {
      if (!pool.closed && slots[0]!.worker === undefined) startWorker(pool, slots[0]!);
    },
    async close() {
      if (pool.closed) return;
      pool.closed = true;
      const stopping: Promise<void>[] = [];
      for (const slot of slots) {
        const worker = slot.worker;
        slot.worker = undefined;
        if (worker) {
          worker.terminate();
          if (slot.closed) stopping.push(slot.closed);
        }
        failAll(pool, slot, new AgentError('ShuttingDown', 'token verification is shutting down'));
      }
      await Promise.all(stopping);
    },
  };
}

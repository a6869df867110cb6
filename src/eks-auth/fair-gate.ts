// Admission of EKS Auth attempts: a concurrency bound and the adaptive pacer's rate, shared fairly. Waiting
// calls queue per client (the pod's source address; background renewals are one client of their own) and
// each free slot or pacer token goes to the next call in fair order (fair-queues.ts), so a client flooding
// the agent with new tokens waits behind its own calls while a node's other pods are served at their share;
// among calls of equal standing, those a pod still waits for go first. The queue is bounded in total; when
// it is full, the longest queue gives up its newest waiter (Overloaded), so a flooder cannot fill it and
// turn others away.
import { systemTimers, type Timers } from '../clock.ts';
import { AgentError } from '../errors.ts';
import type { AdaptivePacer } from './adaptive-pacer.ts';
import {
  createFairQueues,
  type FairQueues,
  type Release,
  type Standing,
  type Waiter,
} from './fair-queues.ts';

export interface FairGateOptions {
  readonly maxConcurrency: number;
  /** Waiting calls of all clients together. */
  readonly maxQueue: number;
  readonly pacer: AdaptivePacer;
  readonly timers?: Timers;
  /** Monotonic ms, the clock demands are stamped with; default performance.now. */
  readonly now?: () => number;
}

export type { Release, Standing } from './fair-queues.ts';

export interface FairGate {
  /**
   * Resolves with a release once `client` may send; with false if `budgetMs` passes first (the caller gives
   * up rather than wait past its deadline). Rejects with Overloaded when the queue is full, and with the
   * signal's reason on abort. `standing` is the call's across its attempts (its level, who waits for it).
   */
  acquire(
    client: string,
    budgetMs: number | undefined,
    signal?: AbortSignal,
    standing?: Standing,
  ): Promise<Release | false>;
  readonly inFlight: number;
  readonly queued: number;
}

/** Weight of each attempt's duration in the moving average. */
const ATTEMPT_AVERAGE_WEIGHT = 0.1;
/** An answer to a call granted now is counted on after this many average attempts. */
const ANSWER_MARGIN_ATTEMPTS = 2;

function overloaded(queued: number): AgentError {
  return new AgentError('Overloaded', `too many EKS Auth calls waiting (${queued} queued)`);
}

/**
 * Queues a waiter of `client` and resolves when it is granted a slot; with false once `budgetMs` passes, with
 * the signal's reason on abort, or with the error it is dropped with. Its timer and listener end with it.
 */
function waitForSlot(
  queues: FairQueues,
  timers: Timers,
  client: string,
  standing: Standing,
  budgetMs: number | undefined,
  signal: AbortSignal | undefined,
): Promise<Release | false> {
  return new Promise<Release | false>((resolve, reject) => {
    let budgetTimer: unknown;
    const settle = () => {
      if (budgetTimer !== undefined) timers.clearTimeout(budgetTimer);
      signal?.removeEventListener('abort', onAbort);
    };
    const onAbort = () => {
      if (queues.remove(waiter)) {
        settle();
        reject(signal?.reason);
      }
    };
    const waiter: Waiter = {
      client,
      standing,
      grant(release) {
        settle();
        resolve(release);
      },
      drop(err) {
        settle();
        reject(err);
      },
    };
    if (budgetMs !== undefined) {
      budgetTimer = timers.setTimeout(
        () => {
          budgetTimer = undefined;
          if (queues.remove(waiter)) {
            settle();
            resolve(false);
          }
        },
        Math.max(0, budgetMs),
      );
    }
    signal?.addEventListener('abort', onAbort, { once: true });
    queues.push(waiter);
  });
}

export function createFairGate(options: FairGateOptions): FairGate {
  if (!(options.maxConcurrency >= 1)) throw new RangeError('maxConcurrency must be at least 1');
  const { maxConcurrency, maxQueue, pacer } = options;
  const timers = options.timers ?? systemTimers;
  const now = options.now ?? (() => performance.now());
  const queues = createFairQueues();
  let inFlight = 0;
  let pacerTimer: unknown;
  // How long an attempt holds its slot (moving average): an answer sent now arrives about that much later.
  let attemptMs = 0;

  function makeRelease(): Release {
    let released = false;
    const grantedAt = now();
    return () => {
      if (released) return;
      released = true;
      attemptMs += (now() - grantedAt - attemptMs) * ATTEMPT_AVERAGE_WEIGHT;
      inFlight--;
      pump();
    };
  }

  function pump(): void {
    while (inFlight < maxConcurrency && queues.size > 0) {
      const waitMs = pacer.tryTake();
      if (waitMs > 0) {
        if (pacerTimer === undefined) {
          pacerTimer = timers.setTimeout(() => {
            pacerTimer = undefined;
            pump();
          }, waitMs);
        }
        return;
      }
      // A waiter expected to give up sooner than an answer could reach it ranks after those who can take it.
      const w = queues.next(now(), ANSWER_MARGIN_ATTEMPTS * attemptMs)!;
      inFlight++;
      w.grant(makeRelease());
    }
  }

  return {
    get inFlight() {
      return inFlight;
    },
    get queued() {
      return queues.size;
    },
    acquire(client, budgetMs, signal, standing = {}) {
      if (signal?.aborted) return Promise.reject(signal.reason);
      if (queues.size === 0 && inFlight < maxConcurrency && pacer.tryTake() === 0) {
        inFlight++;
        return Promise.resolve(makeRelease());
      }
      if (queues.size >= maxQueue) {
        // The longest queue gives one up, so a flooder cannot fill the queue and turn others away.
        const victim = queues.victimFor(client);
        if (victim === undefined) return Promise.reject(overloaded(queues.size));
        victim.drop(overloaded(queues.size));
      }
      const granted = waitForSlot(queues, timers, client, standing, budgetMs, signal);
      pump();
      return granted;
    },
  };
}

// Admission of EKS Auth attempts: a concurrency bound and the adaptive pacer's rate, shared fairly. Waiting
// calls queue per client (the pod's source address; background renewals are one client of their own) and
// each free slot or pacer token goes to the next client in round-robin order, so a client flooding the agent
// with new tokens waits behind its own calls while a node's other pods are served at their share. The queue
// is bounded in total; when it is full, the longest queue gives up its newest waiter (Overloaded), so a
// flooder cannot fill it and turn others away.
import { systemTimers, type Timers } from '../clock.ts';
import { AgentError } from '../errors.ts';
import type { AdaptivePacer } from './adaptive-pacer.ts';
import { createFairQueues, type FairQueues, type Release, type Waiter } from './fair-queues.ts';

export interface FairGateOptions {
  readonly maxConcurrency: number;
  /** Waiting calls of all clients together. */
  readonly maxQueue: number;
  readonly pacer: AdaptivePacer;
  readonly timers?: Timers;
}

export type { Release } from './fair-queues.ts';

export interface FairGate {
  /**
   * Resolves with a release once `client` may send; with false if `budgetMs` passes first (the caller gives
   * up rather than wait past its deadline). Rejects with Overloaded when the queue is full, and with the
   * signal's reason on abort.
   */
  acquire(client: string, budgetMs: number | undefined, signal?: AbortSignal): Promise<Release | false>;
  readonly inFlight: number;
  readonly queued: number;
}

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
  const queues = createFairQueues();
  let inFlight = 0;
  let pacerTimer: unknown;

  function makeRelease(): Release {
    let released = false;
    return () => {
      if (released) return;
      released = true;
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
      const w = queues.next()!;
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
    acquire(client, budgetMs, signal) {
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
      const granted = waitForSlot(queues, timers, client, budgetMs, signal);
      pump();
      return granted;
    },
  };
}

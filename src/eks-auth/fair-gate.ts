// Admission of EKS Auth attempts: a concurrency bound and the adaptive pacer's rate, shared fairly. Waiting
// calls queue per client (the pod's source address; background renewals are one client of their own) and
// each free slot or pacer token goes to the next client in round-robin order, so a client flooding the agent
// with new tokens waits behind its own calls while a node's other pods are served at their share. The queue
// is bounded in total; when it is full, the longest queue gives up its newest waiter (Overloaded), so a
// flooder cannot fill it and turn others away.
import { systemTimers, type Timers } from '../clock.ts';
import { AgentError } from '../errors.ts';
import type { AdaptivePacer } from './adaptive-pacer.ts';

export interface FairGateOptions {
  readonly maxConcurrency: number;
  /** Waiting calls of all clients together. */
  readonly maxQueue: number;
  readonly pacer: AdaptivePacer;
  readonly timers?: Timers;
}

/** A granted slot: call release exactly once when the attempt is over. */
export type Release = () => void;

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

interface Waiter {
  readonly client: string;
  grant(release: Release): void;
  drop(err: AgentError): void;
}

function overloaded(queued: number): AgentError {
  return new AgentError('Overloaded', `too many EKS Auth calls waiting (${queued} queued)`);
}

export function createFairGate(options: FairGateOptions): FairGate {
  if (!(options.maxConcurrency >= 1)) throw new RangeError('maxConcurrency must be at least 1');
  const { maxConcurrency, maxQueue, pacer } = options;
  const timers = options.timers ?? systemTimers;
  // Insertion order is the round-robin order: a served client with more waiting moves to the back.
  const queues = new Map<string, Waiter[]>();
  let queued = 0;
  let inFlight = 0;
  let pacerTimer: unknown;

  function remove(w: Waiter): boolean {
    const q = queues.get(w.client);
    const i = q ? q.indexOf(w) : -1;
    if (q === undefined || i < 0) return false;
    q.splice(i, 1);
    queued--;
    if (q.length === 0) queues.delete(w.client);
    return true;
  }

  function next(): Waiter | undefined {
    for (const [client, q] of queues) {
      const w = q.shift()!;
      queued--;
      queues.delete(client);
      if (q.length > 0) queues.set(client, q);
      return w;
    }
    return undefined;
  }

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
    while (inFlight < maxConcurrency && queued > 0) {
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
      const w = next()!;
      inFlight++;
      w.grant(makeRelease());
    }
  }

  /** Room for a newcomer of `client` when the queue is full: the longest other queue gives one up. */
  function makeRoom(client: string): boolean {
    let longest: Waiter[] | undefined;
    for (const q of queues.values()) if (longest === undefined || q.length > longest.length) longest = q;
    const own = queues.get(client)?.length ?? 0;
    if (longest === undefined || longest.length <= own + 1) return false;
    const victim = longest[longest.length - 1]!;
    remove(victim);
    victim.drop(overloaded(queued));
    return true;
  }

  return {
    get inFlight() {
      return inFlight;
    },
    get queued() {
      return queued;
    },
    acquire(client, budgetMs, signal) {
      if (signal?.aborted) return Promise.reject(signal.reason);
      if (queued === 0 && inFlight < maxConcurrency && pacer.tryTake() === 0) {
        inFlight++;
        return Promise.resolve(makeRelease());
      }
      if (queued >= maxQueue && !makeRoom(client)) return Promise.reject(overloaded(queued));
      return new Promise<Release | false>((resolve, reject) => {
        let budgetTimer: unknown;
        const settle = () => {
          if (budgetTimer !== undefined) timers.clearTimeout(budgetTimer);
          signal?.removeEventListener('abort', onAbort);
        };
        const onAbort = () => {
          if (remove(waiter)) {
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
              if (remove(waiter)) {
                settle();
                resolve(false);
              }
            },
            Math.max(0, budgetMs),
          );
        }
        signal?.addEventListener('abort', onAbort, { once: true });
        let q = queues.get(client);
        if (q === undefined) {
          q = [];
          queues.set(client, q);
        }
        q.push(waiter);
        queued++;
        pump();
      });
    },
  };
}

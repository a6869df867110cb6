// The fair gate's waiting calls: one queue per client, served in round-robin order (a served client with more
// waiting moves to the back), and, when the whole is full, the longest queue gives up its newest waiter.
import type { AgentError } from '../errors.ts';

/** A granted slot: call release exactly once when the attempt is over. */
export type Release = () => void;

export interface Waiter {
  readonly client: string;
  grant(release: Release): void;
  drop(err: AgentError): void;
}

export interface FairQueues {
  readonly size: number;
  push(w: Waiter): void;
  /** Takes `w` out; false if it was no longer waiting (granted or dropped already). */
  remove(w: Waiter): boolean;
  /** The next waiter in round-robin order, taken out. */
  next(): Waiter | undefined;
  /** Room for a newcomer of `client`: the longest other queue's newest waiter, taken out; or undefined. */
  victimFor(client: string): Waiter | undefined;
}

export function createFairQueues(): FairQueues {
  // Insertion order is the round-robin order.
  const queues = new Map<string, Waiter[]>();
  let size = 0;

  function remove(w: Waiter): boolean {
    const q = queues.get(w.client);
    const i = q ? q.indexOf(w) : -1;
    if (q === undefined || i < 0) return false;
    q.splice(i, 1);
    size--;
    if (q.length === 0) queues.delete(w.client);
    return true;
  }

  return {
    get size() {
      return size;
    },
    push(w) {
      let q = queues.get(w.client);
      if (q === undefined) {
        q = [];
        queues.set(w.client, q);
      }
      q.push(w);
      size++;
    },
    remove,
    next() {
      for (const [client, q] of queues) {
        const w = q.shift()!;
        size--;
        queues.delete(client);
        if (q.length > 0) queues.set(client, q);
        return w;
      }
      return undefined;
    },
    victimFor(client) {
      let longest: Waiter[] | undefined;
      for (const q of queues.values()) if (longest === undefined || q.length > longest.length) longest = q;
      const own = queues.get(client)?.length ?? 0;
      if (longest === undefined || longest.length <= own + 1) return undefined;
      const victim = longest[longest.length - 1]!;
      remove(victim);
      return victim;
    },
  };
}

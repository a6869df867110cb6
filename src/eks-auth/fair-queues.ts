// The fair gate's waiting calls. Fairness first: each call gets a level when it first queues, its client's
// first waiting call the current level and each further one a level later (fair queueing), and lower levels
// go first, so a flooder waits behind itself; a throttled attempt that queues again keeps its call's level.
// Within a level, calls someone still waits for go first (see `urgency`), then in the order they queued.
// When the whole is full, the longest queue gives up its newest waiter.
import type { AgentError } from '../errors.ts';
import type { Demand } from './types.ts';

/** A granted slot: call release exactly once when the attempt is over. */
export type Release = () => void;

/** One upstream call's standing across its attempts: its level (set when it first queues) and who waits. */
export interface Standing {
  level?: number;
  readonly demand?: Demand | undefined;
}

export interface Waiter {
  readonly client: string;
  readonly standing: Standing;
  grant(release: Release): void;
  drop(err: AgentError): void;
}

/**
 * A call nobody has waited for this long (a renewal, or a pod that gave up) ranks with calls whose waiters'
 * deadlines are unknown again, so it cannot starve; before that, calls someone waits for go first. Longer
 * than most SDKs' pause between attempts (JS v2 at most 0.4 s, JS v3, PHP and botocore 1 s).
 */
export const UNWAITED_AGE_MS = 2_000;

/**
 * Rank of a call within its level, lower first, and for rank 0 the expected give-up to order by: 0, someone
 * waits and is expected to hold on at least `marginMs` more (an answer can still reach them; soonest first);
 * 1, someone waits with no known deadline (or no demand is known, or nobody has waited for UNWAITED_AGE_MS);
 * 2, its waiter is expected to give up before an answer could come; 3, nobody waits now.
 */
export function urgency(demand: Demand | undefined, nowMs: number, marginMs: number): [number, number] {
  if (demand === undefined) return [1, 0];
  if (demand.waiting === 0) return nowMs - demand.idleSinceMs >= UNWAITED_AGE_MS ? [1, 0] : [3, 0];
  const endMs = demand.expectedEndMs;
  if (endMs === undefined) return [1, 0];
  return endMs >= nowMs + marginMs ? [0, endMs] : [2, 0];
}

interface Entry {
  readonly waiter: Waiter;
  /** Push order: the tie-break (first queued, first served). */
  readonly order: number;
}

interface ClientQueue {
  entries: Entry[];
  /** The highest level given to this client's calls while it has any queued. */
  maxLevel: number;
}

interface Pick {
  readonly entry: Entry;
  readonly level: number;
  readonly rank: number;
  readonly endMs: number;
}

function goesBefore(a: Pick, b: Pick): boolean {
  if (a.level !== b.level) return a.level < b.level;
  if (a.rank !== b.rank) return a.rank < b.rank;
  if (a.endMs !== b.endMs) return a.endMs < b.endMs;
  return a.entry.order < b.entry.order;
}

export interface FairQueues {
  readonly size: number;
  push(w: Waiter): void;
  /** Takes `w` out; false if it was no longer waiting (granted or dropped already). */
  remove(w: Waiter): boolean;
  /** The next waiter to serve, taken out: lowest level, then most urgent (see `urgency`), then first queued. */
  next(nowMs: number, marginMs: number): Waiter | undefined;
  /** Room for a newcomer of `client`: the longest other queue's newest waiter, taken out; or undefined. */
  victimFor(client: string): Waiter | undefined;
}

export function createFairQueues(): FairQueues {
  const queues = new Map<string, ClientQueue>();
  let size = 0;
  let pushes = 0;
  // The level being served: a newly waiting client starts here.
  let servingLevel = 1;

  function remove(w: Waiter): boolean {
    const q = queues.get(w.client);
    const i = q ? q.entries.findIndex((e) => e.waiter === w) : -1;
    if (q === undefined || i < 0) return false;
    q.entries.splice(i, 1);
    size--;
    if (q.entries.length === 0) queues.delete(w.client);
    return true;
  }

  return {
    get size() {
      return size;
    },
    push(w) {
      let q = queues.get(w.client);
      if (q === undefined) {
        q = { entries: [], maxLevel: servingLevel - 1 };
        queues.set(w.client, q);
      }
      if (w.standing.level === undefined) {
        w.standing.level = Math.max(servingLevel, q.maxLevel + 1);
        q.maxLevel = w.standing.level;
      }
      q.entries.push({ waiter: w, order: pushes++ });
      size++;
    },
    remove,
    next(nowMs, marginMs) {
      let best: Pick | undefined;
      for (const q of queues.values()) {
        for (const entry of q.entries) {
          const level = entry.waiter.standing.level!;
          // Cheapest test first: a later level never goes before the best so far.
          if (best !== undefined && level > best.level) continue;
          const [rank, endMs] = urgency(entry.waiter.standing.demand, nowMs, marginMs);
          const pick = { entry, level, rank, endMs };
          if (best === undefined || goesBefore(pick, best)) best = pick;
        }
      }
      if (best === undefined) return undefined;
      remove(best.entry.waiter);
      servingLevel = Math.max(servingLevel, best.level);
      return best.entry.waiter;
    },
    victimFor(client) {
      let longest: ClientQueue | undefined;
      for (const q of queues.values())
        if (longest === undefined || q.entries.length > longest.entries.length) longest = q;
      const own = queues.get(client)?.entries.length ?? 0;
      if (longest === undefined || longest.entries.length <= own + 1) return undefined;
      const victim = longest.entries[longest.entries.length - 1]!.waiter;
      remove(victim);
      return victim;
    },
  };
}

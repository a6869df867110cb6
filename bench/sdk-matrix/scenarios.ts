// The columns of the SDK matrix: what EKS Auth and the node do while a row's pods ask for credentials, what
// the physics allows (a client that stops trying before EKS Auth could answer cannot be served, by anyone),
// and what the agent must achieve where it is possible.
import type { EmulatorProcess } from '../lib/emulator.ts';
import { pacedBound } from './paced-bound.ts';
import type { Row } from './rows.ts';

export interface CellSetup {
  /** One token per pod load. */
  tokens: string[];
  /** Every load is a process of one pod (one source address); otherwise each load is a pod of its own. */
  onePod?: boolean;
  /** Started before the pods, stopped after them. */
  flood?: { template: string; perSecond: number };
  /** EKS Auth's faults are lifted this many ms after the pods start (an outage that ends mid-cell). */
  recoverAfterMs?: number;
}

export interface Scenario {
  id: string;
  title: string;
  /** 'credentials': pods should get them; 'error': a clean error is the right answer. */
  expect: 'credentials' | 'error';
  /** Share of the physically possible pods that must be served (credentials scenarios). */
  passShare: number;
  prepare(emulator: EmulatorProcess): Promise<CellSetup>;
  /** How many of the pods any agent could serve within this client's window; 0 when none could. */
  possible(row: Row, pods: number): number;
  /** Why a cell is (partly) impossible: physics, not policy. */
  why?: string;
}

const ROLE = 'arn:aws:iam::111122223333:role/matrix';

let cells = 0;
/** A token prefix no other cell of this process uses: the verifying agent caches by pod UID, made from it. */
function unique(prefix: string): string {
  return `${prefix}-${++cells}`;
}
const all = (_row: Row, pods: number) => pods;

/**
 * Pods any agent could serve when EKS Auth admits `perSecond` calls (paced-bound.ts). EKS Auth throttles with a
 * token bucket, and so does the emulator's `maxTps` (its `burst` left at the default, one second's calls):
 * full at the pods' common start, it admits `perSecond` calls at once, then one every 1/rate s. Each admitted
 * call goes to the pod that gives up soonest, against the pods' own deadlines (a client with random retry
 * delays has one window per pod). No phase of a wall-clock second enters, so the bound holds for every run.
 */
function paced(perSecond: number) {
  return (row: Row, pods: number) => {
    if (!Number.isFinite(row.windowMs)) return pods;
    const jitterMs = row.jitterMs ?? [];
    const fixedMs = jitterMs.reduce((rest, max) => rest - max, row.windowMs);
    return pacedBound(pods, perSecond, perSecond, fixedMs, jitterMs);
  };
}

/** Possible only when the client keeps a request (or a retry) open past EKS Auth's latency. */
function slower(latencyMs: number) {
  return (row: Row, pods: number) => (row.windowMs > latencyMs ? pods : 0);
}

/** `count` new pods (one token each), then EKS Auth's faults for the cell. */
function newPods(prefix: string, count: number, faults?: Record<string, unknown>) {
  return async (emulator: EmulatorProcess): Promise<CellSetup> => {
    const tokens = await emulator.issueTokens(count, { prefix: unique(prefix) });
    if (faults) await emulator.setFaults(faults);
    return { tokens };
  };
}

/** 60 new pods beside an 80/s junk-token flooder whose tokens have a real pod's claims. */
function flooded(prefix: string, faults: Record<string, unknown>) {
  return async (emulator: EmulatorProcess): Promise<CellSetup> => {
    const [template] = await emulator.issueTokens(1, { prefix: unique(`${prefix}-flooder`) });
    const { tokens } = await newPods(prefix, 60, faults)(emulator);
    return { tokens, flood: { template: template!, perSecond: 80 } };
  };
}

/** How long the outage of "outage-recovery" lasts after its pods start. */
export const RECOVER_AFTER_MS = 2000;

/**
 * Possible when the client still has a request open, or one to come, once EKS Auth answers again: its window
 * without the random parts of its delays (the shortest a pod draws) ends after the recovery.
 */
function outlasts(recoverMs: number) {
  return (row: Row, pods: number) => {
    if (!Number.isFinite(row.windowMs)) return pods;
    const fixedMs = (row.jitterMs ?? []).reduce((rest, max) => rest - max, row.windowMs);
    return fixedMs > recoverMs ? pods : 0;
  };
}

function forgedSignature(token: string): string {
  const [h, p] = token.split('.');
  return `${h}.${p}.${Buffer.from('not-the-issuer-signature'.repeat(11)).toString('base64url')}`;
}

export const SCENARIOS: readonly Scenario[] = [
  {
    id: 'success',
    title: 'success',
    expect: 'credentials',
    passShare: 1,
    prepare: newPods('ok', 1),
    possible: all,
  },
  {
    id: 'bad-token',
    title: 'bad token (forged signature)',
    expect: 'error',
    passShare: 1,
    async prepare(emulator) {
      const [token] = await emulator.issueTokens(1, { prefix: unique('forged') });
      return { tokens: [forgedSignature(token!)] };
    },
    possible: () => 0,
    why: 'the token is not the issuer’s: the right answer is a clear error (the verifying agent gives it without calling EKS Auth)',
  },
  {
    id: 'no-association',
    title: 'no association',
    expect: 'error',
    passShare: 1,
    async prepare(emulator) {
      await emulator.setAssociations([{ namespace: 'bench', serviceAccount: 'someone-else', roleArn: ROLE }]);
      return { tokens: await emulator.issueTokens(1, { prefix: unique('orphan') }) };
    },
    possible: () => 0,
    why: 'no role for the service account: the right answer is a clear error',
  },
  {
    id: 'outage',
    title: 'EKS Auth outage',
    expect: 'credentials',
    passShare: 1,
    prepare: newPods('outage', 1, { outage: true }),
    possible: () => 0,
    why: 'EKS Auth answers nothing and a new pod has nothing cached: no client can get new credentials',
  },
  {
    id: 'outage-recovery',
    title: `30 new pods, EKS Auth out (503) for their first ${RECOVER_AFTER_MS / 1000} s`,
    expect: 'credentials',
    passShare: 1,
    async prepare(emulator) {
      const setup = await newPods('recovery', 30, { outage: true })(emulator);
      return { ...setup, recoverAfterMs: RECOVER_AFTER_MS };
    },
    possible: outlasts(RECOVER_AFTER_MS),
    why: `no credentials exist before EKS Auth recovers; a client that stops trying within ${RECOVER_AFTER_MS / 1000} s cannot be served`,
  },
  {
    id: 'slow-950',
    title: 'EKS Auth at 0.95 s',
    expect: 'credentials',
    passShare: 1,
    prepare: newPods('slow950', 1, { latencyMs: 950 }),
    possible: slower(950),
  },
  {
    id: 'slow-1500',
    title: 'EKS Auth at 1.5 s',
    expect: 'credentials',
    passShare: 1,
    prepare: newPods('slow1500', 1, { latencyMs: 1500 }),
    possible: slower(1500),
    why: 'a client that gives up (and never retries) within 1.5 s cannot see the answer',
  },
  {
    id: 'storm-300',
    title: '300 new pods, EKS Auth at 50 calls/s',
    expect: 'credentials',
    passShare: 0.98,
    prepare: newPods('storm', 300, { maxTps: 50 }),
    possible: paced(50),
    why: 'EKS Auth throttles with a token bucket: at 50 calls/s with a 1 s burst it admits 50 calls at once, then one every 20 ms; a pod that stops trying at its deadline (after W s, or its own shorter window where its client draws random retry delays) can be served only by a call admitted before it. The bound is what an agent that knew every pod’s deadline would serve, giving each admitted call to the pod that gives up soonest (median over 501 draws of the pods’ delays; 50 + 50 x W - 1 when there are none)',
  },
  {
    id: 'one-token-300',
    title: '300 concurrent requests, one token (EKS Auth at 0.5 s)',
    expect: 'credentials',
    passShare: 1,
    async prepare(emulator) {
      const [token] = await emulator.issueTokens(1, { prefix: unique('shared') });
      // Slow enough that every request arrives while the one call is in flight: all of them join it.
      await emulator.setFaults({ latencyMs: 500 });
      return { tokens: Array.from({ length: 300 }, () => token!), onePod: true };
    },
    possible: all,
  },
  {
    id: 'flood-60',
    title: 'junk flood 80/s + 60 pods, EKS Auth at 20 calls/s',
    expect: 'credentials',
    passShare: 0.95,
    prepare: flooded('flooded', { maxTps: 20 }),
    possible: paced(20),
    why: 'EKS Auth throttles with a token bucket: at 20 calls/s with a 1 s burst it admits 20 calls at once, then one every 50 ms; a pod that stops trying at its deadline (after W s, or its own shorter window where its client draws random retry delays) can be served only by a call admitted before it. The bound is what an agent that knew every pod’s deadline would serve, giving each admitted call to the pod that gives up soonest (median over 501 draws of the pods’ delays; 20 + 20 x W - 1 when there are none)',
  },
  {
    id: 'flood-60-slow',
    title: 'junk flood 80/s + 60 pods, EKS Auth at 600 ms',
    expect: 'credentials',
    passShare: 0.95,
    prepare: flooded('flooded-slow', { latencyMs: 600 }),
    possible: slower(600),
  },
];

export function scenarioById(id: string): Scenario {
  const s = SCENARIOS.find((x) => x.id === id);
  if (!s) throw new Error(`unknown scenario ${id}; scenarios: ${SCENARIOS.map((x) => x.id).join(', ')}`);
  return s;
}

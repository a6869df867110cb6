// The failure gate's state machine: when it opens (distinct tokens failing server-side in a row), what waiting
// calls get from the probe's outcome, and that the first answer closes it. Plus upstreamOutcome's table.
import { describe, expect, test } from 'bun:test';
import { EksAuthError } from '../../src/eks-auth/errors.ts';
import {
  createFailureGate,
  type GateCall,
  LONG_OUTAGE_MS,
  MAX_WAITING,
  PROBE_INTERVAL_MS,
  SLOW_PROBE_INTERVAL_MS,
  type UpstreamOutcome,
} from '../../src/eks-auth/failure-gate.ts';
import { upstreamOutcome } from '../../src/eks-auth/retry-decision.ts';
import { AgentError } from '../../src/errors.ts';
import { createVirtualTimers } from '../helpers/virtual-timers.ts';

const never = new AbortController().signal;
const call = (token: string): GateCall => ({ token });
/** A pod's miss with nothing cached, held through failed probes while `waited()` says a request waits for it. */
const heldCall = (token: string, waited: () => boolean = () => true): GateCall => ({ token, held: waited });
const err500 = () =>
  new EksAuthError('InternalServerException', 'EKS Auth InternalServerException (HTTP 500)', {
    kind: 'modelled',
    upstreamStatus: 500,
  });

/** A gate opened by `threshold` distinct tokens' failures, its first probe's interval passed. */
function openedGate(threshold = 3) {
  const timers = createVirtualTimers();
  const gauge: number[] = [];
  let held = 0;
  const gate = createFailureGate({
    threshold,
    timers,
    now: timers.now,
    metrics: {
      upstreamGateOpen: { set: (v) => gauge.push(v) },
      upstreamGateHeldFailures: { inc: () => held++ },
    },
  });
  for (let i = 0; i < threshold; i++) {
    const c = call(`t${i}`);
    expect(gate.admit(c, undefined, never)).toBeUndefined();
    gate.settle(c, 'failing', err500());
  }
  expect(gate.open).toBe(true);
  timers.advance(PROBE_INTERVAL_MS);
  return { gate, timers, gauge, held: () => held };
}

/** Settles a promise's state without awaiting it forever: 'pending', or what it resolved/rejected with. */
async function state<T>(p: Promise<T>): Promise<{ value?: T; error?: unknown } | 'pending'> {
  const pending = Symbol('pending');
  const r = await Promise.race([
    p.then(
      (value) => ({ value }),
      (error: unknown) => ({ error }),
    ),
    Promise.resolve().then(() => pending),
  ]);
  return r === pending ? 'pending' : (r as { value?: T; error?: unknown });
}

describe('opening', () => {
  test('opens after `threshold` distinct tokens fail server-side in a row, and says so on the gauge', () => {
    const { gauge } = openedGate(3);
    expect(gauge).toEqual([1]);
  });

  test('one token failing any number of times (its retries, its SDK retries) does not open it', () => {
    const gate = createFailureGate({ threshold: 3 });
    for (let i = 0; i < 20; i++) {
      const c = call('the-same-pod');
      expect(gate.admit(c, undefined, never)).toBeUndefined();
      gate.settle(c, 'failing', err500());
    }
    expect(gate.open).toBe(false);
  });

  test('an answer between failures starts the count again', () => {
    const gate = createFailureGate({ threshold: 3 });
    gate.settle(call('a'), 'failing', err500());
    gate.settle(call('b'), 'failing', err500());
    gate.settle(call('c'), 'answering');
    gate.settle(call('d'), 'failing', err500());
    gate.settle(call('e'), 'failing', err500());
    expect(gate.open).toBe(false);
    gate.settle(call('f'), 'failing', err500());
    expect(gate.open).toBe(true);
  });

  test('neutral outcomes (nothing sent) neither count nor reset', () => {
    const gate = createFailureGate({ threshold: 2 });
    gate.settle(call('a'), 'failing', err500());
    gate.settle(call('b'), 'neutral');
    expect(gate.open).toBe(false);
    gate.settle(call('c'), 'failing', err500());
    expect(gate.open).toBe(true);
  });

  test('threshold 0 disables it: every call is admitted whatever fails', () => {
    const gate = createFailureGate({ threshold: 0 });
    for (let i = 0; i < 50; i++) gate.settle(call(`t${i}`), 'failing', err500());
    expect(gate.open).toBe(false);
    expect(gate.admit(call('x'), undefined, never)).toBeUndefined();
    expect(gate.admit(call('y'), undefined, never)).toBeUndefined();
  });

  test('rejects a threshold that is not a whole number', () => {
    expect(() => createFailureGate({ threshold: -1 })).toThrow(RangeError);
    expect(() => createFailureGate({ threshold: 1.5 })).toThrow(RangeError);
  });
});

describe('while open', () => {
  test('one probe is sent; the calls after it wait and end with its failure, unsent', async () => {
    const { gate, held } = openedGate();
    const probe = call('p');
    expect(gate.admit(probe, undefined, never)).toBeUndefined();
    const waiting = [call('w1'), call('w2'), call('w3')].map((c) => gate.admit(c, 5000, never)!);
    expect(waiting.every((w) => w instanceof Promise)).toBe(true);
    expect(gate.waiting).toBe(3);
    for (const w of waiting) expect(await state(w)).toBe('pending');
    const failure = err500();
    gate.settle(probe, 'failing', failure);
    for (const w of waiting) expect(await state(w)).toEqual({ error: failure });
    expect(held()).toBe(3);
    expect(gate.open).toBe(true);
    expect(gate.failure).toBe(failure);
  });

  test('the next probe starts an interval after the last one started; calls before it wait for it', async () => {
    const { gate, timers } = openedGate();
    const first = call('p1');
    expect(gate.admit(first, undefined, never)).toBeUndefined();
    timers.advance(10);
    gate.settle(first, 'failing', err500());
    const second = call('p2');
    const w2 = gate.admit(second, 5000, never)!;
    const w3 = gate.admit(call('w3'), 5000, never)!;
    timers.advance(PROBE_INTERVAL_MS - 11);
    expect(await state(w2)).toBe('pending');
    timers.advance(1);
    // The first to wait is the probe; the one after it waits for the probe's outcome.
    expect(await state(w2)).toEqual({ value: true });
    expect(await state(w3)).toBe('pending');
    const failure = err500();
    gate.settle(second, 'failing', failure);
    expect(await state(w3)).toEqual({ error: failure });
    expect(timers.pending).toBe(0);
  });

  test(`more than ${MAX_WAITING} waiting: the next ends at once with the last failure, counted`, async () => {
    const { gate, held } = openedGate();
    gate.admit(call('p'), undefined, never);
    const waiting = Array.from({ length: MAX_WAITING }, (_, i) => gate.admit(call(`w${i}`), 5000, never)!);
    expect(gate.waiting).toBe(MAX_WAITING);
    const over = gate.admit(call('over'), 5000, never)!;
    expect(await state(over)).toEqual({ error: gate.failure });
    expect(held()).toBe(1);
    expect(await state(waiting[0]!)).toBe('pending');
  });

  test(`${MAX_WAITING} waiting from one client: another client's call takes the oldest one's place; that client's next ends at once`, async () => {
    const { gate, held } = openedGate();
    gate.admit(call('p'), undefined, never);
    // One address's held calls (junk tokens at its rate limit, each kept while its request waits).
    const flood = Array.from(
      { length: MAX_WAITING },
      (_, i) => gate.admit({ token: `j${i}`, held: () => true, client: '10.0.0.66' }, 5000, never)!,
    );
    expect(gate.waiting).toBe(MAX_WAITING);
    const pod = gate.admit({ token: 'pod', held: () => true, client: '10.0.0.7' }, 5000, never)!;
    expect(await state(pod)).toBe('pending');
    expect(await state(flood[0]!)).toEqual({ error: gate.failure });
    expect(await state(flood[1]!)).toBe('pending');
    expect(gate.waiting).toBe(MAX_WAITING);
    expect(held()).toBe(1);
    // The flooding client gains nothing: its next call ends at once, as does one from a client as heavy.
    const more = gate.admit({ token: 'jx', held: () => true, client: '10.0.0.66' }, 5000, never)!;
    expect(await state(more)).toEqual({ error: gate.failure });
    expect(held()).toBe(2);
    expect(await state(pod)).toBe('pending');
  });

  test("the probe's success closes it at once and sends every waiting call", async () => {
    const { gate, gauge } = openedGate();
    const probe = call('p');
    gate.admit(probe, undefined, never);
    const waiting = [call('w1'), call('w2')].map((c) => gate.admit(c, 5000, never)!);
    gate.settle(probe, 'answering');
    for (const w of waiting) expect(await state(w)).toEqual({ value: true });
    expect(gate.open).toBe(false);
    expect(gauge).toEqual([1, 0]);
    expect(gate.admit(call('after'), undefined, never)).toBeUndefined();
    expect(gate.admit(call('after2'), undefined, never)).toBeUndefined();
  });

  test('any answer that is not a server-side failure closes it, from the probe or a call sent before', async () => {
    const { gate } = openedGate();
    const probe = call('p');
    gate.admit(probe, undefined, never);
    const w = gate.admit(call('w'), 5000, never)!;
    // A call that was already in flight when the gate opened comes back answered (e.g. a pod's 4xx).
    gate.settle(call('older'), 'answering');
    expect(await state(w)).toEqual({ value: true });
    expect(gate.open).toBe(false);
  });

  test("a failure of a call sent before the gate opened does not speak for the probe's waiters", async () => {
    const { gate } = openedGate();
    const probe = call('p');
    gate.admit(probe, undefined, never);
    const w = gate.admit(call('w'), 5000, never)!;
    gate.settle(call('older'), 'failing', err500());
    expect(await state(w)).toBe('pending');
    gate.settle(probe, 'answering');
    expect(await state(w)).toEqual({ value: true });
  });

  test('a probe that sent nothing hands the probe on to the first waiter', async () => {
    const { gate } = openedGate();
    const probe = call('p');
    gate.admit(probe, undefined, never);
    const first = call('w1');
    const w1 = gate.admit(first, 5000, never)!;
    const w2 = gate.admit(call('w2'), 5000, never)!;
    gate.settle(probe, 'neutral');
    expect(await state(w1)).toEqual({ value: true });
    expect(await state(w2)).toBe('pending');
    // w1 is now the probe: its failure ends w2.
    const failure = err500();
    gate.settle(first, 'failing', failure);
    expect(await state(w2)).toEqual({ error: failure });
  });

  test('a probe still out after the interval does not hold the rest: the first waiter goes as the next probe', async () => {
    const { gate, timers } = openedGate();
    // EKS Auth black-holes this probe's connection: it ends only at the attempt timeout (4 s by default,
    // --upstream-timeout up to 10 min). Waiting for it held every miss on the node until then.
    const hung = call('hung');
    expect(gate.admit(hung, undefined, never)).toBeUndefined();
    const first = call('w1');
    const w1 = gate.admit(first, 10_000, never)!;
    const w2 = gate.admit(call('w2'), 10_000, never)!;
    timers.advance(PROBE_INTERVAL_MS - 1);
    expect(await state(w1)).toBe('pending');
    timers.advance(1);
    expect(await state(w1)).toEqual({ value: true });
    expect(await state(w2)).toBe('pending');
    // EKS Auth has recovered: the second probe's answer closes the gate and sends w2.
    gate.settle(first, 'answering');
    expect(await state(w2)).toEqual({ value: true });
    expect(gate.open).toBe(false);
    // The hung probe's timeout, long after, neither reopens it nor counts as a probe of a gate now closed.
    timers.advance(4000);
    gate.settle(hung, 'failing', new EksAuthError('UpstreamTimeout', 'x', { kind: 'timeout' }));
    expect(gate.open).toBe(false);
    expect(gate.admit(call('later'), undefined, never)).toBeUndefined();
  });

  test('probes start at most one per interval however many hang; any probe failing ends the calls waiting', async () => {
    const { gate, timers } = openedGate();
    expect(gate.admit(call('hung0'), undefined, never)).toBeUndefined();
    const calls = Array.from({ length: 6 }, (_, i) => call(`w${i}`));
    const waiting = calls.map((c) => gate.admit(c, 10_000, never)!);
    for (let i = 0; i < 6; i++) {
      timers.advance(PROBE_INTERVAL_MS - 1);
      expect(await state(waiting[i]!)).toBe('pending');
      timers.advance(1);
      expect(await state(waiting[i]!)).toEqual({ value: true });
      if (i + 1 < 6) expect(await state(waiting[i + 1]!)).toBe('pending');
    }
    expect(gate.waiting).toBe(0);
    const late = gate.admit(call('late'), 10_000, never)!;
    const failure = err500();
    gate.settle(calls[2]!, 'failing', failure);
    expect(await state(late)).toEqual({ error: failure });
    expect(gate.open).toBe(true);
  });

  test('a probe that sent nothing while another is still out does not start one before the interval', async () => {
    const { gate, timers } = openedGate();
    const hung = call('hung');
    expect(gate.admit(hung, undefined, never)).toBeUndefined();
    const second = call('second');
    const w2 = gate.admit(second, 10_000, never)!;
    const w3 = gate.admit(call('third'), 10_000, never)!;
    timers.advance(PROBE_INTERVAL_MS);
    expect(await state(w2)).toEqual({ value: true });
    // The second probe sent nothing (its budget ran out in the fair gate): the hung one is still out, so the
    // next starts at the interval as any other, not at once.
    timers.advance(10);
    gate.settle(second, 'neutral');
    expect(await state(w3)).toBe('pending');
    timers.advance(PROBE_INTERVAL_MS - 11);
    expect(await state(w3)).toBe('pending');
    timers.advance(1);
    expect(await state(w3)).toEqual({ value: true });
  });

  test("a waiter's budget bounds its wait: it resolves false and leaves the queue", async () => {
    const { gate, timers } = openedGate();
    gate.admit(call('p'), undefined, never);
    // Shorter than the interval, after which it would go as the next probe.
    const w = gate.admit(call('w'), 200, never)!;
    timers.advance(199);
    expect(await state(w)).toBe('pending');
    timers.advance(1);
    expect(await state(w)).toEqual({ value: false });
    expect(gate.waiting).toBe(0);
    expect(timers.pending).toBe(0);
  });

  test('an abort ends the wait with its reason and leaves no timer or waiter behind', async () => {
    const { gate, timers } = openedGate();
    gate.admit(call('p'), undefined, never);
    const ac = new AbortController();
    const w = gate.admit(call('w'), 5000, ac.signal)!;
    const reason = new Error('shutting down');
    ac.abort(reason);
    expect(await state(w)).toEqual({ error: reason });
    expect(gate.waiting).toBe(0);
    expect(timers.pending).toBe(0);
    const aborted = gate.admit(call('late'), 5000, ac.signal);
    expect(await state(aborted!)).toEqual({ error: reason });
  });
});

describe('held calls (a miss with nothing cached that a request still waits for)', () => {
  test('stay through a failed probe, while the unheld waiters beside them end with its failure', async () => {
    const { gate, held } = openedGate();
    const probe = call('p');
    expect(gate.admit(probe, undefined, never)).toBeUndefined();
    const kept = heldCall('h');
    const h = gate.admit(kept, 5000, never)!;
    const u = gate.admit(call('u'), 5000, never)!;
    const failure = err500();
    gate.settle(probe, 'failing', failure);
    expect(await state(u)).toEqual({ error: failure });
    expect(await state(h)).toBe('pending');
    expect(gate.waiting).toBe(1);
    expect(held()).toBe(1);
  });

  test('a held waiter goes as the next probe at the interval, and its success sends the rest at once', async () => {
    const { gate, timers } = openedGate();
    const probe = call('p');
    gate.admit(probe, undefined, never);
    const first = heldCall('h1');
    const h1 = gate.admit(first, 5000, never)!;
    const h2 = gate.admit(heldCall('h2'), 5000, never)!;
    gate.settle(probe, 'failing', err500());
    timers.advance(PROBE_INTERVAL_MS);
    // One probe per interval, never one per waiter: h1 goes, h2 still waits.
    expect(await state(h1)).toEqual({ value: true });
    expect(await state(h2)).toBe('pending');
    gate.settle(first, 'answering');
    expect(await state(h2)).toEqual({ value: true });
    expect(gate.open).toBe(false);
    expect(timers.pending).toBe(0);
  });

  test('a held waiter stays through failed probes until its budget: then it resolves false, counted', async () => {
    const { gate, timers, held } = openedGate();
    const probe = call('p');
    gate.admit(probe, undefined, never);
    const ahead = heldCall('ahead');
    const w = gate.admit(ahead, 5000, never)!;
    const h = gate.admit(heldCall('h'), 400, never)!;
    gate.settle(probe, 'failing', err500());
    timers.advance(PROBE_INTERVAL_MS);
    expect(await state(w)).toEqual({ value: true });
    gate.settle(ahead, 'failing', err500());
    // The probe it went as failed too: the client's loop brings it back, behind h.
    const again = gate.admit(heldCall('ahead'), 5000, never)!;
    timers.advance(149);
    expect(await state(h)).toBe('pending');
    timers.advance(1);
    expect(await state(h)).toEqual({ value: false });
    expect(held()).toBe(1);
    expect(await state(again)).toBe('pending');
    expect(gate.waiting).toBe(1);
  });

  test('a held call nobody waits for any more ends at the next failed probe, and the probes stop', async () => {
    const { gate, timers } = openedGate();
    const probe = call('p');
    gate.admit(probe, undefined, never);
    let waited = true;
    const h = gate.admit(
      heldCall('h', () => waited),
      5000,
      never,
    )!;
    gate.settle(probe, 'failing', err500());
    expect(await state(h)).toBe('pending');
    // Its pod's request was answered at its patience (or hung up).
    waited = false;
    timers.advance(PROBE_INTERVAL_MS);
    // h itself went as that probe (resolved true, to be sent): it fails too, and nobody is left waiting.
    expect(await state(h)).toEqual({ value: true });
    const next = heldCall('h2', () => false);
    const h2 = gate.admit(next, 5000, never)!;
    const failure = err500();
    gate.settle(call('h'), 'failing', failure);
    // A settle of a call that is not a probe speaks for nobody: h2 still waits...
    expect(await state(h2)).toBe('pending');
    timers.advance(PROBE_INTERVAL_MS);
    expect(await state(h2)).toEqual({ value: true });
    const third = gate.admit(
      heldCall('h3', () => false),
      5000,
      never,
    )!;
    gate.settle(next, 'failing', failure);
    // ...and a probe's failure ends the waiter nobody waits for, leaving no timer.
    expect(await state(third)).toEqual({ error: failure });
    expect(gate.waiting).toBe(0);
    expect(timers.pending).toBe(0);
  });

  test(`probes start one per ${SLOW_PROBE_INTERVAL_MS} ms once the gate has been open ${LONG_OUTAGE_MS} ms`, async () => {
    const { gate, timers } = openedGate();
    const opened = timers.now() - PROBE_INTERVAL_MS;
    const end = timers.now() + LONG_OUTAGE_MS + 5 * SLOW_PROBE_INTERVAL_MS;
    const starts: number[] = [];
    // One held call going as each probe, failing, and waiting again (the client's loop): its starts are what
    // EKS Auth sees while the outage lasts.
    let c = heldCall('h');
    let w = gate.admit(c, 60_000, never);
    while (timers.now() < end) {
      if (w === undefined || (await state(w)) !== 'pending') {
        starts.push(timers.now());
        gate.settle(c, 'failing', err500());
        c = heldCall('h');
        w = gate.admit(c, 60_000, never);
        continue;
      }
      timers.advance(50);
    }
    const gaps = starts.slice(1).map((t, i) => t - starts[i]!);
    gaps.forEach((gap, i) => {
      expect(gap).toBe(starts[i]! - opened >= LONG_OUTAGE_MS ? SLOW_PROBE_INTERVAL_MS : PROBE_INTERVAL_MS);
    });
    expect(gaps.filter((g) => g === PROBE_INTERVAL_MS).length).toBeGreaterThanOrEqual(30);
    expect(gaps.filter((g) => g === SLOW_PROBE_INTERVAL_MS).length).toBeGreaterThanOrEqual(4);
  });

  test('the next probe is a waiter EKS Auth has not failed yet, before the held calls that failed', async () => {
    const { gate, timers } = openedGate();
    const a = heldCall('a');
    expect(gate.admit(a, 60_000, never)).toBeUndefined();
    // f was sent before the gate opened (the first wave), fails after it, and waits.
    const f = heldCall('f');
    gate.settle(f, 'failing', err500());
    const first = gate.admit(f, 60_000, never)!;
    // a fails as the probe and waits again (the client's loop); n arrives after both.
    gate.settle(a, 'failing', err500());
    const again = gate.admit(a, 60_000, never)!;
    const n = gate.admit(heldCall('n'), 60_000, never)!;
    timers.advance(PROBE_INTERVAL_MS);
    expect(await state(n)).toEqual({ value: true });
    expect(await state(first)).toBe('pending');
    expect(await state(again)).toBe('pending');
  });

  test(`a gate left open and unprobed for ${LONG_OUTAGE_MS} ms (nothing waited) starts the next failures with the ${PROBE_INTERVAL_MS} ms interval again`, async () => {
    const { gate, timers } = openedGate();
    // Nothing asks for a minute: the gate stays open (no probe says EKS Auth is back).
    timers.advance(60_000);
    expect(gate.open).toBe(true);
    const probe = heldCall('p');
    expect(gate.admit(probe, 60_000, never)).toBeUndefined();
    const h = gate.admit(heldCall('h'), 60_000, never)!;
    gate.settle(probe, 'failing', err500());
    timers.advance(PROBE_INTERVAL_MS - 1);
    expect(await state(h)).toBe('pending');
    // The next probe after the short interval, not SLOW_PROBE_INTERVAL_MS: the gate's first minute was no outage
    // anyone waited through.
    timers.advance(1);
    expect(await state(h)).toEqual({ value: true });
  });
});

describe('upstreamOutcome: what counts', () => {
  const modelled = (
    code:
      | 'InternalServerException'
      | 'ServiceUnavailableException'
      | 'ThrottlingException'
      | 'AccessDeniedException'
      | 'InvalidTokenException',
    status: number,
  ) => new EksAuthError(code, code, { kind: 'modelled', upstreamStatus: status });
  const http = (status: number) =>
    new EksAuthError('UpstreamHttpError', 'x', { kind: 'http', upstreamStatus: status });
  const CASES: [string, unknown, UpstreamOutcome][] = [
    ['500 InternalServerException', modelled('InternalServerException', 500), 'failing'],
    ['503 ServiceUnavailableException', modelled('ServiceUnavailableException', 503), 'failing'],
    ['a bare 502 from a proxy', http(502), 'failing'],
    ['a timeout', new EksAuthError('UpstreamTimeout', 'x', { kind: 'timeout' }), 'failing'],
    ['no connection', new EksAuthError('UpstreamUnreachable', 'x', { kind: 'network' }), 'failing'],
    ['throttling (the pacer paces it)', modelled('ThrottlingException', 400), 'answering'],
    ['a bare 429', http(429), 'answering'],
    ["a pod's AccessDenied", modelled('AccessDeniedException', 403), 'answering'],
    ["a pod's invalid token", modelled('InvalidTokenException', 400), 'answering'],
    ['a 403 about the node signature', http(403), 'answering'],
    [
      'node credentials missing (nothing sent)',
      new EksAuthError('NodeCredentialsUnavailable', 'x', { kind: 'credentials' }),
      'neutral',
    ],
    [
      'a 2xx that does not parse',
      new EksAuthError('UpstreamMalformedResponse', 'x', { kind: 'malformed', upstreamStatus: 200 }),
      'neutral',
    ],
    ['an agent error (queue full)', new AgentError('Overloaded', 'x'), 'neutral'],
    ['anything else', new Error('bug'), 'neutral'],
  ];
  test.each(CASES)('%s', (_name, err, expected) => {
    expect(upstreamOutcome(err)).toBe(expected);
  });
});

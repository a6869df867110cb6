// The failure gate end to end (agent + emulator on loopback): a pod-start storm against an EKS Auth that answers
// 500 to everything costs at most one probe call per interval once the gate is open, not one call per pod; every
// pod gets, at its patience (its call is held for a probe that succeeds), the retryable 503 RequestTimeoutException
// naming the 500's InternalServerException (the 502 it gets at once without the gate); cached pods are served throughout, and once EKS Auth answers again the pods waiting for the probe are all served. The same
// storm with --upstream-failure-gate=0 sends a call per pod (what the gate saves).
import { afterAll, beforeAll, describe, expect, test } from 'bun:test';
import { PROBE_INTERVAL_MS } from '../../src/eks-auth/failure-gate.ts';
import { RETRY_COST, RETRY_QUOTA_CAPACITY } from '../../src/eks-auth/retry-quota.ts';
import { type FaultStack, startFaultStack } from './fault-stack.ts';

const NEW_PODS = 60;
/** Pods asking at once: a storm's SDKs start in waves, not all in one instant. */
const AT_ONCE = 10;

/** Each token asked once, `AT_ONCE` at a time (a new pod starts as one finishes). */
async function storm(s: FaultStack, tokens: string[]) {
  const answers: Awaited<ReturnType<FaultStack['get']>>[] = [];
  let next = 0;
  const lane = async () => {
    while (next < tokens.length) answers.push(await s.get(tokens[next++]!));
  };
  await Promise.all(Array.from({ length: AT_ONCE }, lane));
  return answers;
}

const gauge = async (s: FaultStack) =>
  /^pod_identity_upstream_failure_gate_open (\S+)$/m.exec(await s.agent.metrics.registry.metrics())?.[1];
const held = async (s: FaultStack) =>
  Number(
    /^pod_identity_upstream_failure_gate_held_total (\S+)$/m.exec(
      await s.agent.metrics.registry.metrics(),
    )?.[1],
  );

async function failingStorm(s: FaultStack, label: string, held: boolean) {
  s.emulator.resetFaults();
  const cached = await s.token({ podName: `cached-${label}` });
  expect((await s.get(cached)).status).toBe(200);
  const tokens = await Promise.all(
    Array.from({ length: NEW_PODS }, (_, i) => s.token({ podName: `new-${label}-${i}` })),
  );
  s.emulator.setFaults({ failWith: 'InternalServerException' });
  const before = s.calls();
  let hits = 0;
  let done = false;
  const prober = (async () => {
    while (!done) {
      expect((await s.get(cached)).status).toBe(200);
      hits++;
      await Bun.sleep(5);
    }
  })();
  const startedMs = performance.now();
  const answers = await storm(s, tokens);
  const stormMs = performance.now() - startedMs;
  done = true;
  await prober;
  await s.settle();
  for (const a of answers) {
    // Held: the call went on past the pod's patience, so the code the Go SDKs retry by; without the gate the
    // pod's own call's failure, at once.
    expect(a.status).toBe(held ? 503 : 502);
    expect(a.body.code).toBe(held ? 'RequestTimeoutException' : 'InternalServerException');
    expect(a.body.message).toContain('InternalServerException');
  }
  expect(hits).toBeGreaterThan(0);
  return { calls: s.calls() - before, stormMs };
}

describe('with the gate (default)', () => {
  let s: FaultStack;
  // Each held pod is answered at its patience: 1 s keeps the storm's six waves short.
  beforeAll(async () => {
    s = await startFaultStack(['--client-patience=1s']);
  });
  afterAll(() => s.stop());

  test(`${NEW_PODS} new pods against 500s: one probe per interval, not one call per pod; each pod gets the 503 naming the 500`, async () => {
    const { calls, stormMs } = await failingStorm(s, 'gated', true);
    // Without the gate the same storm makes one call per pod and more (the next describe). With it: the first
    // wave's calls, the agent's few retries from its retry quota, and at most one probe per interval after,
    // while the storm lasts and one more: a held call that nobody waits for any more ends at the next probe's
    // failure rather than keeping the probes going until its 10 s budget.
    expect(calls).toBeLessThan(NEW_PODS);
    expect(calls).toBeLessThanOrEqual(
      AT_ONCE + RETRY_QUOTA_CAPACITY / RETRY_COST + Math.ceil(stormMs / PROBE_INTERVAL_MS) + 1,
    );
    expect(await gauge(s)).toBe('1');
    expect(await held(s)).toBeGreaterThan(NEW_PODS / 2);
  }, 60_000);

  test('once EKS Auth answers again, the probe closes it and the pods that waited for it are all served', async () => {
    // Still open from the storm above; EKS Auth recovered but slow, so every pod arrives while the probe flies.
    expect(await gauge(s)).toBe('1');
    s.emulator.setFaults({ latencyMs: 200 });
    const tokens = await Promise.all(
      Array.from({ length: AT_ONCE }, (_, i) => s.token({ podName: `recovered-${i}` })),
    );
    const before = s.calls();
    const heldBefore = await held(s);
    const answers = await Promise.all(tokens.map((t) => s.get(t)));
    for (const a of answers) expect(a.status).toBe(200);
    // The probe, then the others' own calls: none ended unsent (no timed assertion: the machine is shared).
    expect(await held(s)).toBe(heldBefore);
    expect(s.calls() - before).toBe(AT_ONCE);
    expect(await gauge(s)).toBe('0');
  }, 30_000);
});

describe('with --upstream-failure-gate=0', () => {
  let s: FaultStack;
  beforeAll(async () => {
    s = await startFaultStack(['--upstream-failure-gate=0']);
  });
  afterAll(() => s.stop());

  test(`the same storm sends a call for every pod`, async () => {
    const { calls } = await failingStorm(s, 'ungated', false);
    expect(calls).toBeGreaterThanOrEqual(NEW_PODS);
    expect(await gauge(s)).toBe('0');
  }, 60_000);
});

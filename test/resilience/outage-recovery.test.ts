// A node's new pods meet an EKS Auth outage (503 to everything) that ends within their patience: their misses
// are held through the server-side failures (the failure gate's probes, one per interval) instead of answered
// with the 503, and each pod's one request gets credentials once EKS Auth answers again, with a bounded number
// of EKS Auth calls. Agent and emulator on loopback. Before the hold every pod got the fast 503.
import { afterAll, beforeAll, describe, expect, test } from 'bun:test';
import { FRESH_REMAINING_MS } from '../../src/credentials/entry.ts';
import { FAILURE_GATE_THRESHOLD, PROBE_INTERVAL_MS } from '../../src/eks-auth/failure-gate.ts';
import { DEFAULT_CREDENTIAL_TTL_SECONDS } from '../../src/emulator/index.ts';
import { type FaultStack, startFaultStack } from './fault-stack.ts';

const TTL_MS = DEFAULT_CREDENTIAL_TTL_SECONDS * 1000;

const PODS = 10;
const OUTAGE_MS = 1000;

let s: FaultStack;
beforeAll(async () => {
  s = await startFaultStack();
});
afterAll(() => s.stop());

test(`${PODS} new pods whose first calls meet a ${OUTAGE_MS} ms outage get credentials once it ends`, async () => {
  const tokens = await Promise.all(
    Array.from({ length: PODS }, (_, i) => s.token({ podName: `recover-${i}` })),
  );
  s.emulator.setFaults({ outage: true });
  const before = s.calls();
  const startedMs = performance.now();
  const recovery = setTimeout(() => s.emulator.resetFaults(), OUTAGE_MS);
  const answers = await Promise.all(tokens.map((t) => s.get(t)));
  clearTimeout(recovery);
  const elapsedMs = performance.now() - startedMs;
  await s.settle();
  // Credentials, so within the pod's patience (--client-patience, 4.5 s: past it the request is answered with
  // the retryable 503 RequestTimeoutException naming the call's latest failure).
  for (const a of answers) {
    expect(a.status).toBe(200);
    expect(a.body.AccessKeyId).toMatch(/^ASIA/);
  }
  // Every pod's first call; the agent's own retries before the gate opened (the first FAILURE_GATE_THRESHOLD - 1
  // failures); one probe per interval while it was open; each pod's call once the probe succeeded.
  const calls = s.calls() - before;
  expect(calls).toBeLessThanOrEqual(
    PODS + (FAILURE_GATE_THRESHOLD - 1) + Math.ceil(elapsedMs / PROBE_INTERVAL_MS) + 1 + PODS,
  );
}, 30_000);

describe('a pod with credentials still servable is not held', () => {
  let p: FaultStack;
  // A patience longer than the test: a held request would be answered only when its call ends.
  beforeAll(async () => {
    p = await startFaultStack(['--client-patience=10m']);
  });
  afterAll(() => p.stop());

  test('while new pods are held at the open gate, a cached pod past its fresh window gets what it holds at once', async () => {
    const cached = await p.token({ podName: 'cached' });
    const first = await p.get(cached);
    expect(first.status).toBe(200);
    const tokens = await Promise.all(
      Array.from({ length: FAILURE_GATE_THRESHOLD + 1 }, (_, i) => p.token({ podName: `new-${i}` })),
    );
    p.emulator.setFaults({ outage: true });
    let answered = 0;
    const news = tokens.map((t) =>
      p.get(t, AbortSignal.timeout(60_000)).then((a) => {
        answered++;
        return a;
      }),
    );
    while (!/^pod_identity_upstream_failure_gate_open 1$/m.test(await p.agent.metrics.registry.metrics()))
      await Bun.sleep(10);
    p.clock.advance(TTL_MS - FRESH_REMAINING_MS + 1_000);
    const stale = await p.get(cached);
    expect(stale.status).toBe(200);
    expect(stale.body.SecretAccessKey).toBe(first.body.SecretAccessKey);
    // The new pods' requests are still held (nothing cached to serve them instead).
    expect(answered).toBe(0);
    p.emulator.resetFaults();
    for (const a of await Promise.all(news)) expect(a.status).toBe(200);
    await p.settle();
  }, 60_000);
});

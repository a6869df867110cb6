// EKS Auth throttling (429 ThrottlingException beyond its rate) while many pods start and their SDKs retry:
// what pods see, and whether the agent multiplies the load on an upstream that asked it to slow down.
// The emulator's rate window follows the shared manual clock, so "EKS Auth allows N calls now" is exact.
import { afterAll, beforeAll, beforeEach, expect, test } from 'bun:test';
import { type ClientView, type FaultStack, startFaultStack } from './fault-stack.ts';

const MAX_ATTEMPTS = 3;
const PODS = 30;
/** Java retries up to 5 times back to back (facts/sdk-clients.md): the harshest client retry pattern. */
const CLIENT_TRIES = 6;
const ALLOWED_PER_SECOND = 5;

let s: FaultStack;
beforeAll(async () => {
  // A short patience keeps the storm's back-to-back client retries quick.
  s = await startFaultStack(['--client-patience=300ms']);
});
afterAll(() => s.stop());
beforeEach(() => {
  s.emulator.resetFaults();
  s.emulator.resetStats();
});

interface Storm {
  tokens: string[];
  requests: number;
  last: ClientView[];
}

/** Every pod asks, retrying back to back on failure like Java's SDK, until served or out of tries. */
async function storm(pods: number): Promise<Storm> {
  const tokens = await Promise.all(Array.from({ length: pods }, () => s.token()));
  let requests = 0;
  const last = await Promise.all(
    tokens.map(async (t) => {
      let view: ClientView | undefined;
      for (let i = 0; i < CLIENT_TRIES && view?.status !== 200; i++) {
        requests++;
        view = await s.get(t);
      }
      return view!;
    }),
  );
  await s.settle();
  return { tokens, requests, last };
}

test('throttled pods get a retryable 5xx with a JSON code, never a 4xx; admitted pods are cached', async () => {
  s.emulator.setFaults({ maxTps: ALLOWED_PER_SECOND });
  const { tokens, requests, last } = await storm(PODS);
  const served = last.filter((v) => v.status === 200);
  expect(served.length).toBeGreaterThanOrEqual(ALLOWED_PER_SECOND);
  // Not served yet: EKS Auth's own ThrottlingException, or RequestTimeoutException while a paced call waits for
  // its slot; both 503, which every SDK retries.
  for (const v of last.filter((x) => x.status !== 200)) {
    expect(v.status).toBe(503);
    expect(['ThrottlingException', 'RequestTimeoutException']).toContain(String(v.body.code));
    expect(v.body.Code).toBe(v.body.code);
  }
  const calls = s.calls();
  expect(calls).toBeLessThanOrEqual(requests * MAX_ATTEMPTS);

  // The admitted pods' retries are hits: no more upstream calls.
  const again = await Promise.all(tokens.map((t, i) => (last[i]!.status === 200 ? s.get(t) : undefined)));
  expect(again.filter((v) => v?.status === 200).length).toBe(served.length);
  expect(s.calls()).toBe(calls);
}, 30_000);

test('when throttling lifts, the remaining pods are served within an SDK retry window, without a restart', async () => {
  s.emulator.setFaults({ maxTps: 2 });
  const { tokens, last } = await storm(10);
  expect(last.filter((v) => v.status === 200).length).toBeGreaterThanOrEqual(1);
  s.emulator.resetFaults();
  // Calls are still paced for a few seconds after the last throttle; SDKs retry about once a second.
  const views = await Promise.all(
    tokens.map(async (t) => {
      let view = await s.get(t);
      for (let i = 0; i < 5 && view.status !== 200; i++) {
        await Bun.sleep(1000);
        view = await s.get(t);
      }
      return view;
    }),
  );
  expect(views.map((v) => `${v.status} ${v.body.code ?? ''}`)).toEqual(Array(10).fill('200 '));
}, 30_000);

// Regression: every client request once cost up to MAX_ATTEMPTS upstream calls under sustained throttling
// (455 calls for 155 requests). The EKS Auth client now paces its calls to the rate EKS Auth admits, and
// unpaced retries spend from a quota, so the agent no longer multiplies the storm.
test('no retry storm: under sustained throttling upstream calls do not exceed client requests by more than 20%', async () => {
  s.emulator.setFaults({ maxTps: ALLOWED_PER_SECOND });
  const { requests } = await storm(PODS);
  expect(s.calls()).toBeLessThanOrEqual(Math.ceil(requests * 1.2));
}, 30_000);

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
  s = await startFaultStack();
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

test('throttled pods get a retryable 503 ThrottlingException (every SDK retries 503); admitted pods are cached; attempts per request are bounded', async () => {
  s.emulator.setFaults({ maxTps: ALLOWED_PER_SECOND });
  const { tokens, requests, last } = await storm(PODS);
  const served = last.filter((v) => v.status === 200);
  const throttled = last.filter((v) => v.status === 503);
  expect(served.length).toBe(ALLOWED_PER_SECOND);
  expect(throttled.length).toBe(PODS - ALLOWED_PER_SECOND);
  for (const v of throttled)
    expect(v.body).toMatchObject({ code: 'ThrottlingException', Code: 'ThrottlingException' });
  const calls = s.calls();
  expect(calls).toBeLessThanOrEqual(requests * MAX_ATTEMPTS);

  // The admitted pods' retries are hits: no more upstream calls.
  const again = await Promise.all(tokens.map((t, i) => (last[i]!.status === 200 ? s.get(t) : undefined)));
  expect(again.filter((v) => v?.status === 200).length).toBe(ALLOWED_PER_SECOND);
  expect(s.calls()).toBe(calls);
});

test('when throttling lifts, the remaining pods are served without a restart', async () => {
  s.emulator.setFaults({ maxTps: 2 });
  const { tokens, last } = await storm(10);
  expect(last.filter((v) => v.status === 200).length).toBe(2);
  s.emulator.resetFaults();
  const views = await Promise.all(tokens.map((t) => s.get(t)));
  expect(views.every((v) => v.status === 200)).toBe(true);
});

// Regression: every client request once cost up to MAX_ATTEMPTS upstream calls under sustained throttling
// (455 calls for 155 requests). The EKS Auth client's retry quota now runs dry while EKS Auth throttles, so
// the agent stops multiplying the storm; the SDKs' own retries pace it.
test('no retry storm: under sustained throttling upstream calls do not exceed client requests by more than 20%', async () => {
  s.emulator.setFaults({ maxTps: ALLOWED_PER_SECOND });
  const { requests } = await storm(PODS);
  expect(s.calls()).toBeLessThanOrEqual(Math.ceil(requests * 1.2));
});

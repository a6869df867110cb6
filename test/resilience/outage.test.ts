// EKS Auth fully down (503 on every call) or hanging (never answering): what pods see, and how many calls
// reach EKS Auth, through a real agent and the emulator on loopback.
import { afterAll, beforeAll, beforeEach, describe, expect, test } from 'bun:test';
import { FRESH_REMAINING_MS, MIN_REMAINING_VALIDITY_MS } from '../../src/credentials/entry.ts';
import { DEFAULT_CREDENTIAL_TTL_SECONDS } from '../../src/emulator/index.ts';
import { type FaultStack, RETRYABLE_5XX, startFaultStack } from './fault-stack.ts';

/** The EKS Auth client's attempts per call (first try + retries). */
const MAX_ATTEMPTS = 3;
const TTL_MS = DEFAULT_CREDENTIAL_TTL_SECONDS * 1000;

describe('full outage (503 ServiceUnavailable on every call)', () => {
  let s: FaultStack;
  // A long patience: an answer with the upstream's own code proves the request did not wait it out.
  beforeAll(async () => {
    s = await startFaultStack(['--client-patience=10s']);
  });
  afterAll(() => s.stop());
  beforeEach(() => s.emulator.resetFaults());

  test('a cached pod keeps being served until its credentials near expiry, then gets a retryable 503', async () => {
    const token = await s.token();
    const first = await s.get(token);
    expect(first.status).toBe(200);
    const before = s.calls();

    s.emulator.setFaults({ outage: true });
    const hit = await s.get(token);
    expect(hit.status).toBe(200);
    expect(hit.body).toEqual(first.body);
    expect(s.calls()).toBe(before);

    // Past the fresh window: the agent tries EKS Auth first, fails, and serves what it holds.
    s.clock.advance(TTL_MS - FRESH_REMAINING_MS + 1_000);
    const stale = await s.get(token);
    expect(stale.status).toBe(200);
    expect(stale.body.SecretAccessKey).toBe(first.body.SecretAccessKey);
    await s.settle();
    expect(s.calls() - before).toBeGreaterThanOrEqual(1);
    expect(s.calls() - before).toBeLessThanOrEqual(MAX_ATTEMPTS);

    // Within 15 s of expiry the old credentials are never served.
    s.clock.set(Date.parse(first.body.Expiration!) - MIN_REMAINING_VALIDITY_MS + 1);
    const late = await s.get(token);
    expect(late.status).toBe(503);
    expect(late.body).toMatchObject({
      code: 'ServiceUnavailableException',
      Code: 'ServiceUnavailableException',
    });
  });

  test('a new pod gets a quick retryable 5xx with the upstream code, not a hang; attempts are bounded', async () => {
    s.emulator.setFaults({ outage: true });
    const token = await s.token();
    const before = s.calls();
    // Three clients of the same pod at once share one upstream call.
    const views = await Promise.all([1, 2, 3].map(() => s.get(token, AbortSignal.timeout(8_000))));
    for (const v of views) {
      expect(RETRYABLE_5XX).toContain(v.status);
      expect(v.body.code).toBe('ServiceUnavailableException');
    }
    await s.settle();
    expect(s.calls() - before).toBeGreaterThanOrEqual(1);
    expect(s.calls() - before).toBeLessThanOrEqual(MAX_ATTEMPTS);
  });

  test('errors are not cached: each retry of a new pod is a new bounded upstream call', async () => {
    s.emulator.setFaults({ outage: true });
    const token = await s.token();
    const before = s.calls();
    for (let i = 0; i < 3; i++) expect((await s.get(token)).status).toBe(503);
    await s.settle();
    const used = s.calls() - before;
    expect(used).toBeGreaterThanOrEqual(3);
    expect(used).toBeLessThanOrEqual(3 * MAX_ATTEMPTS);
  });

  test('recovery: service resumes without a restart, for new pods and for pods that failed', async () => {
    s.emulator.setFaults({ outage: true });
    const failed = await s.token();
    expect((await s.get(failed)).status).toBe(503);
    await s.settle();
    s.emulator.resetFaults();
    const before = s.calls();
    const again = await s.get(failed);
    expect(again.status).toBe(200);
    expect(again.body.AccessKeyId).toMatch(/^ASIA/);
    const fresh = await s.get(await s.token());
    expect(fresh.status).toBe(200);
    expect(s.calls() - before).toBe(2);
    // And both are cached again.
    expect((await s.get(failed)).status).toBe(200);
    expect(s.calls() - before).toBe(2);
  });
});

describe('hang outage (EKS Auth accepts the connection and never answers)', () => {
  let s: FaultStack;
  beforeAll(async () => {
    s = await startFaultStack(['--client-patience=300ms', '--upstream-timeout=1s']);
  });
  afterAll(() => s.stop());

  test('the client gets a retryable error within its patience; the call goes on and fills the cache', async () => {
    s.emulator.setFaults({ outage: 'hang' });
    const token = await s.token();
    const before = s.calls();
    const view = await s.get(token, AbortSignal.timeout(8_000));
    expect(view.status).toBe(503);
    expect(view.body.code).toBe('RequestTimeoutException');
    // The upstream call outlives the request.
    expect(s.agent.service.inFlight).toBe(1);
    expect(s.emulator.stats().byCode['Hang']).toBeGreaterThanOrEqual(1);

    // EKS Auth comes back while the agent's attempt is still hanging: its next attempt succeeds.
    s.emulator.resetFaults();
    await s.settle();
    const retry = await s.get(token);
    expect(retry.status).toBe(200);
    expect(s.emulator.stats().succeeded).toBe(1);
    const used = s.calls() - before;
    expect(used).toBeGreaterThanOrEqual(2);
    expect(used).toBeLessThanOrEqual(MAX_ATTEMPTS);
    // The retry was a hit.
    expect((await s.get(token)).status).toBe(200);
    expect(s.calls() - before).toBe(used);
  });
});

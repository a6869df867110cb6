// --rate-limit-per-client and --rate-limit-global through the real listener: a source address flooding the
// agent with misses (tokens it has not cached) gets 503 TooManyRequests (JSON, Retry-After; every SDK
// retries a 503, several never retry a 429) while another address is still served, and limited requests
// never reach EKS Auth. Cache hits are not limited (see credentials-handler.ts). Buckets refill by the injected clock, so counts are exact.
import { afterAll, beforeAll, describe, expect, test } from 'bun:test';
import { RATE_LIMIT_HOLD_MS } from '../../src/http/miss-admission.ts';
import { BURST_SECONDS } from '../../src/http/rate-limiter.ts';
import { credentialsRequest, rawRequest } from '../fuzz/raw-http.ts';
import { type FaultStack, startFaultStack } from './fault-stack.ts';

const PER_CLIENT_RPS = 5;
const GLOBAL_RPS = 4;
/** Misses past the burst that are held for a token due within RATE_LIMIT_HOLD_MS, then served. */
const held = (rps: number) => (rps * RATE_LIMIT_HOLD_MS) / 1000;

/** Status of one request from the given loopback source address. */
async function from(
  s: FaultStack,
  localAddress: string,
  token: string,
): Promise<{ status: number; text: string }> {
  const port = Number(new URL(s.agent.url).port);
  return rawRequest(port, credentialsRequest('127.0.0.1', token), { localAddress, timeoutMs: 5_000 });
}

async function limitedCount(s: FaultStack, scope: string): Promise<number> {
  const metric = await s.agent.metrics.rateLimited.get();
  return metric.values.find((v) => v.labels['scope'] === scope)?.value ?? 0;
}

describe('per client', () => {
  let s: FaultStack;
  beforeAll(async () => {
    s = await startFaultStack([`--rate-limit-per-client=${PER_CLIENT_RPS}`]);
  });
  afterAll(() => s.stop());

  /** Fresh pod tokens: every request with one is a miss. */
  const fresh = (n: number) => Promise.all(Array.from({ length: n }, () => s.token()));

  test('a flooding address gets 503 TooManyRequests after its burst and a short hold; another address is served; refill by time', async () => {
    // The burst at once, then the misses whose token is due within the hold wait for it, then 503.
    const served = PER_CLIENT_RPS * BURST_SECONDS + held(PER_CLIENT_RPS);
    const tokens = await fresh(served + 4);
    const statuses: number[] = [];
    for (const t of tokens.slice(0, served + 3)) statuses.push((await from(s, '127.0.0.1', t)).status);
    expect(statuses.slice(0, served).every((x) => x === 200)).toBe(true);
    expect(statuses.slice(served)).toEqual([503, 503, 503]);

    const last = tokens[served + 3]!;
    const limited = await from(s, '127.0.0.1', last);
    expect(limited.status).toBe(503);
    expect(limited.text).toMatch(/\r\nretry-after: \d+\r\n/i);
    const body = JSON.parse(limited.text.slice(limited.text.indexOf('\r\n\r\n') + 4));
    expect(body).toMatchObject({ code: 'TooManyRequests', Code: 'TooManyRequests' });
    expect(limited.text).not.toContain(last);
    expect(await limitedCount(s, 'client')).toBe(4);

    // The victim on another address is untouched, and the flooder's cached pods are still served.
    expect((await from(s, '127.0.0.2', (await fresh(1))[0]!)).status).toBe(200);
    expect((await from(s, '127.0.0.1', tokens[0]!)).status).toBe(200);

    // Once the hold's debt is repaid and one more second has passed, the flooder has PER_CLIENT_RPS misses
    // again (and a hold's worth after them).
    s.clock.advance(RATE_LIMIT_HOLD_MS + 1_000);
    const after: number[] = [];
    const again = PER_CLIENT_RPS + held(PER_CLIENT_RPS);
    for (const t of await fresh(again + 1)) after.push((await from(s, '127.0.0.1', t)).status);
    expect(after).toEqual([...Array(again).fill(200), 503]);
  }, 20_000);

  test('300 concurrent requests of one pod with one token: all 200, one EKS Auth call, no budget spent', async () => {
    s.clock.advance(10_000);
    const token = (await fresh(1))[0]!;
    const before = s.calls();
    const limitedBefore = await limitedCount(s, 'client');
    const statuses = await Promise.all(
      Array.from({ length: 300 }, async () => (await from(s, '127.0.0.5', token)).status),
    );
    expect(statuses).toEqual(Array(300).fill(200));
    expect(s.calls() - before).toBe(1);
    expect(await limitedCount(s, 'client')).toBe(limitedBefore);
    // Joining cost nothing: the address still has its whole burst but one (and its hold) for new tokens.
    const next: number[] = [];
    for (const t of await fresh(PER_CLIENT_RPS * BURST_SECONDS + held(PER_CLIENT_RPS)))
      next.push((await from(s, '127.0.0.5', t)).status);
    expect(next.filter((x) => x === 200)).toHaveLength(
      PER_CLIENT_RPS * BURST_SECONDS - 1 + held(PER_CLIENT_RPS),
    );
  }, 20_000);

  test('a 1 h backward wall-clock step does not stall the limiter: buckets refill on monotonic time', async () => {
    s.clock.advance(10_000);
    const drain = await fresh(PER_CLIENT_RPS * BURST_SECONDS + held(PER_CLIENT_RPS) + 1);
    const drained = [];
    for (const t of drain) drained.push((await from(s, '127.0.0.6', t)).status);
    expect(drained.at(-1)).toBe(503);
    s.clock.set(s.clock.now() - 3_600_000);
    s.clock.advance(RATE_LIMIT_HOLD_MS + 1_000);
    const after: number[] = [];
    for (const t of await fresh(PER_CLIENT_RPS)) after.push((await from(s, '127.0.0.6', t)).status);
    expect(after).toEqual(Array(PER_CLIENT_RPS).fill(200));
  }, 20_000);

  test('limited requests never reach EKS Auth', async () => {
    s.clock.advance(10_000);
    for (const t of await fresh(PER_CLIENT_RPS * BURST_SECONDS + held(PER_CLIENT_RPS)))
      await from(s, '127.0.0.3', t);
    const before = s.calls();
    for (const t of await fresh(5)) expect((await from(s, '127.0.0.3', t)).status).toBe(503);
    expect(s.calls()).toBe(before);
  }, 20_000);
});

describe('global', () => {
  let s: FaultStack;
  beforeAll(async () => {
    s = await startFaultStack([`--rate-limit-global=${GLOBAL_RPS}`]);
  });
  afterAll(() => s.stop());

  test('all addresses together get GLOBAL_RPS x burst misses and a hold, then 503 for everyone', async () => {
    const served = GLOBAL_RPS * BURST_SECONDS + held(GLOBAL_RPS);
    const tokens = await Promise.all(Array.from({ length: served + 1 }, () => s.token()));
    const statuses: number[] = [];
    for (let i = 0; i < served; i++) {
      statuses.push((await from(s, i % 2 ? '127.0.0.1' : '127.0.0.2', tokens[i]!)).status);
    }
    expect(statuses.every((x) => x === 200)).toBe(true);
    expect((await from(s, '127.0.0.4', tokens.at(-1)!)).status).toBe(503);
    expect(await limitedCount(s, 'global')).toBe(1);
  }, 20_000);
});

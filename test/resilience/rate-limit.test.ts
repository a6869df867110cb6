// --rate-limit-per-client and --rate-limit-global through the real listener: a flooding source address gets
// 429 TooManyRequests (JSON, Retry-After) while another address is still served, and limited requests never
// reach EKS Auth. Buckets refill by the injected clock, so counts are exact.
import { afterAll, beforeAll, describe, expect, test } from 'bun:test';
import { BURST_SECONDS } from '../../src/http/rate-limiter.ts';
import { credentialsRequest, rawRequest } from '../fuzz/raw-http.ts';
import { type FaultStack, startFaultStack } from './fault-stack.ts';

const PER_CLIENT_RPS = 5;
const GLOBAL_RPS = 4;

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
  let token: string;
  beforeAll(async () => {
    s = await startFaultStack([`--rate-limit-per-client=${PER_CLIENT_RPS}`]);
    token = await s.token();
  });
  afterAll(() => s.stop());

  test('a flooding address gets 429 TooManyRequests after its burst; another address is served; refill by time', async () => {
    const burst = PER_CLIENT_RPS * BURST_SECONDS;
    const statuses: number[] = [];
    for (let i = 0; i < burst + 3; i++) statuses.push((await from(s, '127.0.0.1', token)).status);
    expect(statuses.slice(0, burst).every((x) => x === 200)).toBe(true);
    expect(statuses.slice(burst)).toEqual([429, 429, 429]);

    const limited = await from(s, '127.0.0.1', token);
    expect(limited.status).toBe(429);
    expect(limited.text).toMatch(/\r\nretry-after: \d+\r\n/i);
    const body = JSON.parse(limited.text.slice(limited.text.indexOf('\r\n\r\n') + 4));
    expect(body).toMatchObject({ code: 'TooManyRequests', Code: 'TooManyRequests' });
    expect(limited.text).not.toContain(token);
    expect(await limitedCount(s, 'client')).toBe(4);

    // The victim on another address is untouched.
    expect((await from(s, '127.0.0.2', token)).status).toBe(200);

    // One second later the flooder has PER_CLIENT_RPS requests again.
    s.clock.advance(1_000);
    const after: number[] = [];
    for (let i = 0; i < PER_CLIENT_RPS + 1; i++) after.push((await from(s, '127.0.0.1', token)).status);
    expect(after).toEqual([...Array(PER_CLIENT_RPS).fill(200), 429]);
  });

  test('limited requests never reach EKS Auth', async () => {
    s.clock.advance(10_000);
    for (let i = 0; i < PER_CLIENT_RPS * BURST_SECONDS; i++) await from(s, '127.0.0.3', token);
    const before = s.calls();
    const fresh = await Promise.all([1, 2, 3, 4, 5].map(() => s.token()));
    for (const t of fresh) expect((await from(s, '127.0.0.3', t)).status).toBe(429);
    expect(s.calls()).toBe(before);
  });
});

describe('global', () => {
  let s: FaultStack;
  beforeAll(async () => {
    s = await startFaultStack([`--rate-limit-global=${GLOBAL_RPS}`]);
  });
  afterAll(() => s.stop());

  test('all addresses together get GLOBAL_RPS x burst, then 429 for everyone', async () => {
    const token = await s.token();
    const statuses: number[] = [];
    for (let i = 0; i < GLOBAL_RPS * BURST_SECONDS; i++) {
      statuses.push((await from(s, i % 2 ? '127.0.0.1' : '127.0.0.2', token)).status);
    }
    expect(statuses.every((x) => x === 200)).toBe(true);
    expect((await from(s, '127.0.0.4', token)).status).toBe(429);
    expect(await limitedCount(s, 'global')).toBe(1);
  });
});

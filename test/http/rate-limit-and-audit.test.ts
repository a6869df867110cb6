// Per-client rate limiting and the audit log, through a real agent on loopback with the emulator behind it.
// The agent runs on a hand-moved clock: buckets refill only when a test moves it, never while it waits.
import { afterAll, beforeAll, describe, expect, test } from 'bun:test';
import { Writable } from 'node:stream';
import { createManualClock } from '../../src/clock.ts';
import { RATE_LIMIT_HOLD_MS } from '../../src/http/miss-admission.ts';
import { createLogger } from '../../src/observability/logger.ts';
import { type Stack, startStack } from '../helpers/stack.ts';

const lines: Record<string, unknown>[] = [];
const sink = new Writable({
  write(chunk, _enc, done) {
    for (const line of String(chunk).split('\n')) if (line) lines.push(JSON.parse(line));
    done();
  },
});
let stack: Stack;
const clock = createManualClock(Date.now());

beforeAll(async () => {
  stack = await startStack({
    args: ['--rate-limit-per-client=5', '--audit-log'],
    deps: { logger: createLogger('info', sink), clock },
  });
});
afterAll(() => stack.stop());

const get = (token: string) =>
  fetch(stack.credentialsUrl, {
    headers: { authorization: token, host: new URL(stack.credentialsUrl).host },
  });

describe('per-client rate limit', () => {
  test('beyond the burst, misses from one client get a retryable 503 JSON with Retry-After and reach nothing behind', async () => {
    const { token } = await stack.tokenFile({ podName: 'flooder' });
    expect((await get(token)).status).toBe(200); // cached before the flood
    const callsBefore = stack.emulator.stats().assumeRoleCalls;
    const statuses: number[] = [];
    const started = clock.monotonic();
    // Misses: tokens the agent has never seen (garbage here, so an admitted one is a quick 400).
    // At once, so the held misses overlap instead of refilling the bucket one after another.
    const answers = await Promise.all(Array.from({ length: 20 }, (_, i) => get(`not-a-jwt-${i}`)));
    for (const res of answers) {
      statuses.push(res.status);
      if (res.status === 503) {
        expect(res.headers.get('retry-after')).toBe('1');
        const body = (await res.json()) as Record<string, string>;
        expect(body.code).toBe('TooManyRequests');
      } else await res.arrayBuffer();
    }
    // 5/s with 2 s of burst (one spent above): 9 at once, then up to a hold's worth waiting for tokens due
    // within RATE_LIMIT_HOLD_MS, plus whatever refilled while the loop ran (nothing: the clock stands still).
    const refilled = Math.floor(((clock.monotonic() - started) / 1000) * 5) + 1;
    const admitted = statuses.filter((s) => s === 400).length;
    expect(admitted).toBeGreaterThanOrEqual(9);
    expect(admitted).toBeLessThanOrEqual(9 + (5 * RATE_LIMIT_HOLD_MS) / 1000 + refilled);
    expect(admitted).toBeLessThan(20);
    expect(statuses.filter((s) => s === 503)).toHaveLength(20 - admitted);
    expect(stack.emulator.stats().assumeRoleCalls).toBe(callsBefore);
    const scrape = await stack.agent.metrics.registry.metrics();
    expect(scrape).toContain(`pod_identity_rate_limited_total{scope="client"} ${20 - admitted}`);
  });

  test('cache hits are never limited: refusing one would cost as much as serving it', async () => {
    const { token } = await stack.tokenFile({ podName: 'busy-but-cached' });
    const statuses = [];
    for (let i = 0; i < 40; i++) {
      const res = await get(token);
      statuses.push(res.status);
      await res.arrayBuffer();
    }
    // The first is a miss; it may find the bucket empty after the flood above, so it is retried like an SDK
    // (a second later).
    if (statuses[0] === 503) {
      clock.advance(1_000);
      const res = await get(token);
      expect(res.status).toBe(200);
      await res.arrayBuffer();
      for (let i = 0; i < 40; i++) {
        const again = await get(token);
        expect(again.status).toBe(200);
        await again.arrayBuffer();
      }
    } else expect(statuses).toEqual(Array(40).fill(200));
  });
});

describe('audit log', () => {
  test('one line per request with the verified subject and pod, never the token or credentials', async () => {
    clock.advance(2_000); // the loopback client's bucket refills
    lines.length = 0;
    const { token } = await stack.tokenFile({ namespace: 'shop', serviceAccount: 'cart', podName: 'cart-7' });
    const miss = await get(token);
    const body = await miss.text();
    const hit = await get(token);
    await hit.arrayBuffer();
    // Both lines were written before their answers were sent; this write's callback comes after them.
    await new Promise<void>((resolve) => sink.write('', () => resolve()));
    const audits = lines.filter((l) => l['audit'] === true);
    expect(audits).toHaveLength(2);
    expect(audits.map((a) => a['cache'])).toEqual(['miss', 'hit']);
    for (const a of audits) {
      expect(a).toMatchObject({ status: 200, subject: 'shop/cart', pod: 'cart-7', client: '127.0.0.1' });
      expect(typeof a['latencyMs']).toBe('number');
    }
    const logText = JSON.stringify(lines);
    const creds = JSON.parse(body) as Record<string, string>;
    for (const secret of [token, creds['SecretAccessKey']!, creds['Token']!])
      expect(logText.includes(secret)).toBe(false);
  });
});

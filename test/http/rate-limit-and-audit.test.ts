// Per-client rate limiting and the audit log, through a real agent on loopback with the emulator behind it.
import { afterAll, beforeAll, describe, expect, test } from 'bun:test';
import { Writable } from 'node:stream';
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

beforeAll(async () => {
  stack = await startStack({
    args: ['--rate-limit-per-client=5', '--audit-log'],
    deps: { logger: createLogger('info', sink) },
  });
});
afterAll(() => stack.stop());

const get = (token: string) =>
  fetch(stack.credentialsUrl, {
    headers: { authorization: token, host: new URL(stack.credentialsUrl).host },
  });

describe('per-client rate limit', () => {
  test('beyond the burst a client gets 429 JSON with Retry-After, and no upstream call', async () => {
    const { token } = await stack.tokenFile({ podName: 'flooder' });
    const statuses: number[] = [];
    const started = performance.now();
    for (let i = 0; i < 20; i++) {
      const res = await get(token);
      statuses.push(res.status);
      if (res.status === 429) {
        expect(res.headers.get('retry-after')).toBe('1');
        const body = (await res.json()) as Record<string, string>;
        expect(body.code).toBe('TooManyRequests');
      } else await res.arrayBuffer();
    }
    // 5/s with 2 s of burst: 10 at once, plus whatever refilled while the loop ran on a slow machine.
    const refilled = Math.floor(((performance.now() - started) / 1000) * 5);
    const ok = statuses.filter((s) => s === 200).length;
    expect(ok).toBeGreaterThanOrEqual(10);
    expect(ok).toBeLessThanOrEqual(10 + refilled);
    expect(statuses.filter((s) => s === 429)).toHaveLength(20 - ok);
    expect(stack.emulator.stats().assumeRoleCalls).toBe(1);
    const scrape = await stack.agent.metrics.registry.metrics();
    expect(scrape).toContain(`pod_identity_rate_limited_total{scope="client"} ${20 - ok}`);
  });
});

describe('audit log', () => {
  test('one line per request with the verified subject and pod, never the token or credentials', async () => {
    await Bun.sleep(1100); // let the loopback client's bucket refill
    lines.length = 0;
    const { token } = await stack.tokenFile({ namespace: 'shop', serviceAccount: 'cart', podName: 'cart-7' });
    const miss = await get(token);
    const body = await miss.text();
    const hit = await get(token);
    await hit.arrayBuffer();
    await new Promise<void>((resolve) => sink.write('', () => resolve()));
    await Bun.sleep(50);
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

import { describe, expect, test } from 'bun:test';
import { BURST_SECONDS, createRateLimiter } from '../../src/http/rate-limiter.ts';

describe('rate limiter', () => {
  test('both limits off: no limiter at all', () => {
    expect(createRateLimiter({ perClientRps: 0, globalRps: 0 })).toBeUndefined();
  });

  test('a client gets its burst, then its rate; others are unaffected', () => {
    const rl = createRateLimiter({ perClientRps: 10, globalRps: 0 })!;
    const t0 = 1_000_000;
    let allowed = 0;
    for (let i = 0; i < 100; i++) if (rl.take('10.0.0.1', t0) === 'ok') allowed += 1;
    expect(allowed).toBe(10 * BURST_SECONDS);
    expect(rl.take('10.0.0.1', t0)).toBe('client');
    expect(rl.take('10.0.0.2', t0)).toBe('ok');
    expect(rl.take('10.0.0.1', t0 + 100)).toBe('ok'); // 100 ms at 10/s = one token
    expect(rl.take('10.0.0.1', t0 + 100)).toBe('client');
    let later = 0;
    for (let i = 0; i < 100; i++) if (rl.take('10.0.0.1', t0 + 60_000) === 'ok') later += 1;
    expect(later).toBe(10 * BURST_SECONDS); // refill is capped at the burst
  });

  test('the global bucket bounds everyone together; refused requests do not spend client tokens', () => {
    const rl = createRateLimiter({ perClientRps: 5, globalRps: 4 })!;
    const t0 = 5_000;
    const decisions = Array.from({ length: 12 }, (_, i) => rl.take(`c${i % 3}`, t0));
    expect(decisions.filter((d) => d === 'ok')).toHaveLength(4 * BURST_SECONDS);
    expect(decisions.slice(4 * BURST_SECONDS).every((d) => d === 'global')).toBe(true);
    expect(rl.take('c0', t0 + 250)).toBe('ok');
  });

  test('tracked clients are bounded', () => {
    const rl = createRateLimiter({ perClientRps: 1, globalRps: 0, maxClients: 100 })!;
    for (let i = 0; i < 1000; i++) rl.take(`10.0.${i >> 8}.${i & 255}`, 1);
    expect(rl.trackedClients).toBe(100);
  });

  test('just over the limit a request may wait for a token due within maxWaitMs; beyond that it is refused', () => {
    const rl = createRateLimiter({ perClientRps: 10, globalRps: 0 })!;
    const t0 = 1_000_000;
    for (let i = 0; i < 10 * BURST_SECONDS; i++) expect(rl.take('10.0.0.1', t0, 500)).toBe('ok');
    // Each held request reserves the next token: 100, 200, ... 500 ms at 10/s.
    expect([1, 2, 3, 4, 5].map(() => rl.take('10.0.0.1', t0, 500))).toEqual([100, 200, 300, 400, 500]);
    expect(rl.take('10.0.0.1', t0, 500)).toBe('client');
    // The debt is paid by time: 600 ms later one token is due at once again.
    expect(rl.take('10.0.0.1', t0 + 600, 500)).toBe('ok');
  });
});

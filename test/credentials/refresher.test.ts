import { describe, expect, test } from 'bun:test';
import { AgentError } from '../../src/errors.ts';
import { createServiceFixture, metricValue } from '../helpers/service-fixture.ts';
import { unsignedToken } from '../helpers/tokens.ts';

/** Caches `n` entries for distinct tokens, each accessed once after its fetch. */
async function fill(f: ReturnType<typeof createServiceFixture>, n: number, tokenTtlSeconds = 86400) {
  const tokens = Array.from({ length: n }, () =>
    unsignedToken({ expSeconds: f.nowSeconds() + tokenTtlSeconds }),
  );
  for (const t of tokens) {
    await f.service.resolve(t);
    f.service.lookup(t);
  }
  return tokens;
}

describe('refresher', () => {
  test('renews accessed entries before they age out, with new credentials', async () => {
    const f = createServiceFixture();
    const [token] = await fill(f, 1);
    const before = f.cache.peek(token!)!;
    await f.refresher.tick();
    expect(f.upstream.calls).toHaveLength(1);
    f.advanceMonotonicTo(before.renewAtMonotonicMs);
    await f.refresher.tick();
    expect(f.upstream.calls).toHaveLength(2);
    expect(f.upstream.calls[1]!.options?.reason).toBe('refresh');
    const after = f.cache.peek(token!)!;
    expect(after.body).not.toBe(before.body);
    expect(after.expiresAtMs).toBeGreaterThan(before.expiresAtMs);
    expect(f.clock.now()).toBeLessThan(before.freshUntilMs);
    expect(await metricValue(f.metrics, 'pod_identity_refreshes_total', { result: 'success' })).toBe(1);
  });

  test('respects --max-service-qps: at most qps renewals per second, the rest wait', async () => {
    const f = createServiceFixture({ maxServiceQps: 3 });
    const tokens = await fill(f, 10);
    const latest = Math.max(...tokens.map((t) => f.cache.peek(t)!.renewAtMonotonicMs));
    f.advanceMonotonicTo(latest);
    await f.refresher.tick();
    expect(f.upstream.calls).toHaveLength(10 + 3);
    await f.refresher.tick(); // no time passed: no new budget
    expect(f.upstream.calls).toHaveLength(13);
    f.clock.advance(1000);
    await f.refresher.tick();
    expect(f.upstream.calls).toHaveLength(16);
    f.clock.advance(2000);
    await f.refresher.tick();
    expect(f.upstream.calls).toHaveLength(19); // burst capped at qps
    f.clock.advance(1000);
    await f.refresher.tick();
    expect(f.upstream.calls).toHaveLength(20);
    f.clock.advance(5000);
    await f.refresher.tick();
    expect(f.upstream.calls).toHaveLength(20);
  });

  test('irrecoverable errors evict; recoverable errors keep the credentials and retry about a minute later', async () => {
    const f = createServiceFixture();
    const [denied, throttled] = await fill(f, 2);
    const keep = f.cache.peek(throttled!)!;
    f.upstream.behaviour = async (call) => {
      if (call.token === denied) throw new AgentError('AccessDeniedException', 'no');
      throw new AgentError('ThrottlingException', 'slow down');
    };
    const due = Math.max(f.cache.peek(denied!)!.renewAtMonotonicMs, keep.renewAtMonotonicMs);
    f.advanceMonotonicTo(due);
    await f.refresher.tick();
    expect(f.cache.peek(denied!)).toBeUndefined();
    expect(f.cache.peek(throttled!)).toBe(keep);
    expect(f.service.lookup(throttled!)?.body).toBe(keep.body);
    expect(keep.renewAtMonotonicMs - due).toBeGreaterThanOrEqual(60_000);
    expect(keep.renewAtMonotonicMs - due).toBeLessThanOrEqual(120_000);
    expect(await metricValue(f.metrics, 'pod_identity_refreshes_total', { result: 'evicted' })).toBe(1);
    expect(
      await metricValue(f.metrics, 'pod_identity_refreshes_total', { result: 'recoverable_error' }),
    ).toBe(1);
    const calls = f.upstream.calls.length;
    f.clock.advance(30_000);
    await f.refresher.tick();
    expect(f.upstream.calls).toHaveLength(calls);
    f.advanceMonotonicTo(keep.renewAtMonotonicMs);
    await f.refresher.tick();
    expect(f.upstream.calls).toHaveLength(calls + 1);
  });

  test('dead pods cost nothing: one renewal for the request that fetched them, then skipped; expired tokens dropped', async () => {
    const f = createServiceFixture();
    const dead = unsignedToken({ expSeconds: f.nowSeconds() + 86400 });
    await f.service.resolve(dead); // fetched for a request, never asked for again
    const [shortToken] = await fill(f, 1, 3600); // its token expires before renewal
    f.advanceMonotonicTo(
      Math.max(f.cache.peek(dead)!.renewAtMonotonicMs, f.cache.peek(shortToken!)!.renewAtMonotonicMs),
    );
    await f.refresher.tick();
    expect(f.upstream.calls).toHaveLength(3); // two fetches + the one renewal the request bought
    expect(f.cache.peek(shortToken!)).toBeUndefined();
    expect(
      await metricValue(f.metrics, 'pod_identity_refreshes_total', { result: 'dropped_token_expired' }),
    ).toBe(1);
    const renewed = f.cache.peek(dead)!;
    expect(renewed.accessed).toBe(false);
    f.advanceMonotonicTo(renewed.renewAtMonotonicMs);
    await f.refresher.tick();
    await f.refresher.tick();
    expect(f.upstream.calls).toHaveLength(3);
    expect(f.cache.peek(dead)).toBe(renewed); // still servable until its credentials age out
    expect(await metricValue(f.metrics, 'pod_identity_refreshes_total', { result: 'skipped_idle' })).toBe(1);
    f.clock.set(renewed.servableUntilMs);
    await f.refresher.tick();
    expect(f.cache.peek(dead)).toBeUndefined();
    expect(await metricValue(f.metrics, 'pod_identity_cache_entries')).toBe(0);
  });

  test('an SDK that asks once per credential lifetime still finds renewed credentials', async () => {
    const f = createServiceFixture();
    const token = unsignedToken({ expSeconds: f.nowSeconds() + 86400 });
    const first = await f.service.resolve(token);
    f.advanceMonotonicTo(first.renewAtMonotonicMs);
    await f.refresher.tick();
    expect(f.upstream.calls).toHaveLength(2);
    // The SDK comes back 5 minutes before the first credentials expire: a hit on the renewed ones.
    f.clock.set(first.expiresAtMs - 5 * 60_000);
    const hit = f.service.lookup(token);
    expect(hit).toBeDefined();
    expect(hit!.expiresAtMs).toBeGreaterThan(first.expiresAtMs);
    expect(f.upstream.calls).toHaveLength(2);
  });

  test('an idle entry asked for again is renewed at the next scan', async () => {
    const f = createServiceFixture();
    const token = unsignedToken({ expSeconds: f.nowSeconds() + 86400 });
    const first = await f.service.resolve(token);
    f.advanceMonotonicTo(first.renewAtMonotonicMs);
    await f.refresher.tick(); // the renewal the request bought
    const renewed = f.cache.peek(token)!;
    f.advanceMonotonicTo(renewed.renewAtMonotonicMs);
    await f.refresher.tick(); // idle: skipped
    expect(f.upstream.calls).toHaveLength(2);
    expect(f.service.lookup(token)).toBe(renewed);
    await f.refresher.tick();
    expect(f.upstream.calls).toHaveLength(3);
  });

  test('a 1 h backward wall-clock step neither stalls renewals nor their rate budget', async () => {
    const f = createServiceFixture({ maxServiceQps: 3 });
    const tokens = await fill(f, 4);
    const latest = Math.max(...tokens.map((t) => f.cache.peek(t)!.renewAtMonotonicMs));
    f.clock.set(f.clock.now() - 3_600_000);
    f.advanceMonotonicTo(latest);
    await f.refresher.tick();
    expect(f.upstream.calls).toHaveLength(4 + 3);
    f.clock.advance(1_000);
    await f.refresher.tick();
    expect(f.upstream.calls).toHaveLength(4 + 4);
  });
});

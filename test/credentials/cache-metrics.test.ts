// The cache reports its own size (read when metrics are scraped) and counts every eviction in one place:
// the LRU bound, a pod-level failure, and the refresher dropping entries whose token or credentials expired.
import { describe, expect, test } from 'bun:test';
import { createCredentialCache } from '../../src/credentials/cache.ts';
import { withIdentity } from '../../src/credentials/entry.ts';
import { createMetrics } from '../../src/observability/metrics.ts';
import { createServiceFixture, metricValue } from '../helpers/service-fixture.ts';
import { unsignedToken } from '../helpers/tokens.ts';

const evicted = (m: ReturnType<typeof createMetrics>) =>
  metricValue(m, 'pod_identity_cache_state', { state: 'evicted' });

describe('the cache counts itself', () => {
  test('its size is read at scrape time, whoever changed it', async () => {
    const f = createServiceFixture();
    const tokens = Array.from({ length: 3 }, () => unsignedToken({ expSeconds: f.nowSeconds() + 3600 }));
    for (const t of tokens) await f.service.resolve(t);
    expect(await metricValue(f.metrics, 'pod_identity_cache_entries')).toBe(3);
    f.cache.evict(tokens[0]!);
    expect(await metricValue(f.metrics, 'pod_identity_cache_entries')).toBe(2);
    expect(await evicted(f.metrics)).toBe(1);
  });

  test("the refresher's drops of expired entries are evictions", async () => {
    const f = createServiceFixture();
    const short = unsignedToken({ expSeconds: f.nowSeconds() + 60 });
    const entry = await f.service.resolve(short);
    f.clock.advance(61_000); // the token has expired
    f.advanceMonotonicTo(entry.renewAtMonotonicMs);
    await f.refresher.tick();
    expect(f.cache.peek(short)).toBeUndefined();
    expect(
      await metricValue(f.metrics, 'pod_identity_refreshes_total', { result: 'dropped_token_expired' }),
    ).toBe(1);
    expect(await evicted(f.metrics)).toBe(1);
    expect(await metricValue(f.metrics, 'pod_identity_cache_entries')).toBe(0);
  });

  test('re-keying an entry is not an eviction; a disabled cache reports 0', async () => {
    const metrics = createMetrics();
    const cache = createCredentialCache({ maxEntries: 4, keyByIdentity: true, metrics });
    const f = createServiceFixture();
    const token = unsignedToken({ expSeconds: f.nowSeconds() + 3600 });
    const entry = await f.service.resolve(token);
    cache.set(entry);
    cache.rekey(entry.key, withIdentity(entry, 'ns/sa/uid', 'pod', entry.token));
    expect([cache.peek(entry.key), cache.peek('ns/sa/uid')?.body]).toEqual([undefined, entry.body]);
    expect(await evicted(metrics)).toBe(0);
    expect(await metricValue(metrics, 'pod_identity_cache_entries')).toBe(1);

    const off = createMetrics();
    createCredentialCache({ maxEntries: 0, keyByIdentity: false, metrics: off });
    expect(await metricValue(off, 'pod_identity_cache_entries')).toBe(0);
  });
});

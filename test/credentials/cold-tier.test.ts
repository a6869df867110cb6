// The cache's cold tier (src/credentials/cache.ts): entries past the hot tier's bound are packed, found again by
// their exact token (or identity), unpacked on a hit, and the two tiers together keep maxEntries in LRU order.
import { describe, expect, test } from 'bun:test';
import {
  COLD_AFTER_MS,
  type CredentialCache,
  coldSlot,
  createCredentialCache,
  SWEEP_CHUNK,
} from '../../src/credentials/cache.ts';
import type { CredentialService } from '../../src/credentials/credential-service.ts';
import { createEntry, serialiseCredentials } from '../../src/credentials/entry.ts';
import { COLLECT_AFTER_PACKED, createRefresher } from '../../src/credentials/refresher.ts';
import {
  compact,
  MAX_PACKED_TEXT,
  readText,
  releaseText,
  SLAB_BYTES,
  slabStats,
  storeText,
} from '../../src/credentials/slab-store.ts';
import { createLogger } from '../../src/observability/logger.ts';
import type { CredentialsMetrics } from '../../src/observability/metrics.ts';
import { countedCacheMetrics, createColdTierFixture } from '../helpers/cold-tier-fixture.ts';
import { unsignedToken } from '../helpers/tokens.ts';

const { clock, timing, exp, result, tokenEntry } = createColdTierFixture();
const counted = countedCacheMetrics;

let mono = 1_000_000;
/** Three sweep periods: whatever nobody asked for before the call is cold after it (when the cache is big enough). */
function coldAll(cache: CredentialCache) {
  for (let i = 0; i < 3; i++) {
    mono += COLD_AFTER_MS;
    while (cache.sweep(mono));
  }
}

describe('cold tier', () => {
  test('entries nobody asked for go cold at the sweep, are found by their exact token, and unpacked on a hit', () => {
    const cache = createCredentialCache({ maxEntries: 10, keyByIdentity: false, hotEntries: 4 });
    const tokens = Array.from({ length: 10 }, (_, i) =>
      unsignedToken({ expSeconds: exp(), podName: `p${i}` }),
    );
    const entries = tokens.map((t, i) => tokenEntry(t, i));
    const bodies = entries.map((e) => e.body);
    for (const e of entries) cache.set(e);
    expect(cache.size).toBe(10);
    expect(entries.some((e) => e.packed)).toBe(false);
    coldAll(cache);
    expect(entries.every((e) => e.packed)).toBe(true);
    // Packed, the token's rest is held by the packed text only.
    expect(entries[0]!.tokenRest).toBe('');
    expect(entries[0]!.token).toBe(tokens[0]!);
    expect(entries[0]!.body).toBe(bodies[0]!);
    expect(entries[0]!.hasToken(tokens[0]!)).toBe(true);
    expect(entries[0]!.hasToken(tokens[1]!)).toBe(false);

    const hit = cache.lookup(tokens[0]!, clock.now());
    expect(hit).toBe(entries[0]);
    expect(hit!.packed).toBe(false);
    expect(hit!.body).toBe(bodies[0]!);
    expect(hit!.tokenRest).toBe(tokens[0]!.slice(tokens[0]!.indexOf('.') + 1));
    expect(entries[1]!.packed).toBe(true);
    expect(cache.size).toBe(10);
    // Every entry once, hot and cold.
    expect(new Set(cache.entries()).size).toBe(10);
    expect([...cache.entries()].length).toBe(10);
    for (let i = 0; i < 10; i++) {
      expect(cache.peek(tokens[i]!)).toBe(entries[i]);
      expect(cache.lookup(tokens[i]!, clock.now())?.body).toBe(bodies[i]!);
    }
  });

  test('both tiers together hold maxEntries; the least recently used is evicted and counted', () => {
    const c = counted();
    const cache = createCredentialCache({
      maxEntries: 6,
      keyByIdentity: false,
      hotEntries: 2,
      metrics: c.metrics,
    });
    const tokens = Array.from({ length: 9 }, (_, i) =>
      unsignedToken({ expSeconds: exp(), podName: `q${i}` }),
    );
    for (let i = 0; i < 6; i++) cache.set(tokenEntry(tokens[i]!, i));
    coldAll(cache);
    expect(cache.peek(tokens[5]!)!.packed).toBe(true);
    // q0 used again: q1 is now the least recently used.
    expect(cache.lookup(tokens[0]!, clock.now())).toBeDefined();
    for (let i = 6; i < 9; i++) cache.set(tokenEntry(tokens[i]!, i));
    expect(cache.size).toBe(6);
    expect(c.size()).toBe(6);
    expect(c.evictions()).toBe(3);
    const kept = tokens.filter((t) => cache.peek(t) !== undefined).map((t) => tokens.indexOf(t));
    expect(kept).toEqual([0, 4, 5, 6, 7, 8]);
  });

  test('a cache of up to hotEntries entries packs nothing; one entry more and its idle entries are packed', () => {
    const cache = createCredentialCache({ maxEntries: 100, keyByIdentity: false, hotEntries: 8 });
    const entries = Array.from({ length: 9 }, (_, i) =>
      tokenEntry(unsignedToken({ expSeconds: exp(), podName: `r${i}` }), i),
    );
    for (const e of entries.slice(0, 8)) cache.set(e);
    coldAll(cache);
    expect(entries.some((e) => e.packed)).toBe(false);
    cache.set(entries[8]!);
    coldAll(cache);
    expect(entries.every((e) => e.packed)).toBe(true);
    expect(cache.size).toBe(9);
  });

  test("a cold entry is not served to a token with its rest under another header, nor removed by that token's entry", () => {
    const cache = createCredentialCache({ maxEntries: 10, keyByIdentity: false, hotEntries: 1 });
    const token = unsignedToken({ expSeconds: exp(), podName: 'h' });
    const other = `${Buffer.from('{"alg":"RS256","kid":"k2"}').toString('base64url')}${token.slice(token.indexOf('.'))}`;
    const first = tokenEntry(token, 1);
    cache.set(first);
    cache.set(tokenEntry(unsignedToken({ expSeconds: exp(), podName: 'h2' }), 2));
    coldAll(cache);
    expect(first.packed).toBe(true);
    expect(cache.lookup(other, clock.now())).toBeUndefined();
    expect(cache.peek(other)).toBeUndefined();
    const second = tokenEntry(other, 3);
    cache.set(second);
    expect(cache.peek(token)).toBe(first);
    expect(cache.peek(other)).toBe(second);
    expect(cache.size).toBe(3);
  });

  test('entries that share a cold slot are told apart by their tokens', () => {
    const cache = createCredentialCache({ maxEntries: 10, keyByIdentity: false, hotEntries: 1 });
    // Rests that differ only where coldSlot does not look (it reads the length, the last 16 and 16 spread).
    const base = unsignedToken({ expSeconds: exp(), podName: 'slot' });
    const dot = base.indexOf('.');
    const rest = base.slice(dot + 1);
    const variants = ['A', 'B', 'C'].map((c) => `${base.slice(0, dot + 2)}${c}${rest.slice(2)}`);
    const slots = variants.map((t) => coldSlot(t.slice(t.indexOf('.') + 1)));
    expect(new Set(slots).size).toBe(1);
    const entries = variants.map((t, i) => tokenEntry(t, i));
    for (const e of entries) cache.set(e);
    cache.set(tokenEntry(unsignedToken({ expSeconds: exp(), podName: 'other' }), 9));
    coldAll(cache);
    expect(entries.every((e) => e.packed)).toBe(true);
    for (let i = 0; i < 3; i++) expect(cache.peek(variants[i]!)).toBe(entries[i]);
    expect(cache.evict(variants[1]!)).toBe(true);
    expect(cache.peek(variants[1]!)).toBeUndefined();
    expect(cache.peek(variants[0]!)).toBe(entries[0]);
    expect(cache.lookup(variants[2]!, clock.now())).toBe(entries[2]);
    expect(cache.size).toBe(3);
  });

  test('a renewal stored over a cold entry replaces it; evict and rekey find cold entries', () => {
    const cache = createCredentialCache({ maxEntries: 10, keyByIdentity: false, hotEntries: 1 });
    const token = unsignedToken({ expSeconds: exp(), podName: 'renew' });
    const old = tokenEntry(token, 1);
    cache.set(old);
    cache.set(tokenEntry(unsignedToken({ expSeconds: exp(), podName: 'x' }), 2));
    coldAll(cache);
    expect(old.packed).toBe(true);
    const renewed = tokenEntry(token, 3);
    cache.set(renewed);
    expect(cache.size).toBe(2);
    expect(cache.peek(token)).toBe(renewed);
    expect([...cache.entries()]).not.toContain(old);
    // Cold again, then evicted by its key (as the refresher drops an expired entry).
    coldAll(cache);
    expect(renewed.packed).toBe(true);
    expect(cache.evict(renewed.key)).toBe(true);
    expect(cache.peek(token)).toBeUndefined();
    expect(cache.size).toBe(1);
    // The evicted entry still reads its own token and body (a renewal in flight may hold it).
    expect(renewed.token).toBe(token);
  });

  test('identity-keyed entries go cold with their body packed and are found through the token index', () => {
    const cache = createCredentialCache({ maxEntries: 10, keyByIdentity: true, hotEntries: 1 });
    const token = unsignedToken({ expSeconds: exp(), podName: 'id' });
    const entry = createEntry('ns/sa/uid-1', token, exp() * 1000, result(1), timing(), 'id');
    const body = entry.body;
    cache.set(entry);
    cache.indexToken(token, 'ns/sa/uid-1', exp() * 1000);
    cache.set(
      createEntry('ns/sa/uid-2', unsignedToken({ expSeconds: exp() }), exp() * 1000, result(2), timing()),
    );
    coldAll(cache);
    expect(entry.packed).toBe(true);
    // The whole token stays: the token index keys by the same string.
    expect(entry.tokenRest).toBe(token);
    expect(entry.token).toBe(token);
    expect(cache.peek('ns/sa/uid-1')).toBe(entry);
    const hit = cache.lookup(token, clock.now());
    expect(hit).toBe(entry);
    expect(hit!.packed).toBe(false);
    expect(hit!.body).toBe(body);
  });

  test('a cold entry past its fresh time is not served and stays cold; text that cannot be packed stays as it was', () => {
    const cache: CredentialCache = createCredentialCache({
      maxEntries: 10,
      keyByIdentity: false,
      hotEntries: 1,
    });
    const token = unsignedToken({ expSeconds: exp(), podName: 'stale' });
    const entry = tokenEntry(token, 1);
    cache.set(entry);
    const odd = unsignedToken({ expSeconds: exp(), podName: 'odd' });
    const r = result(2);
    const oddEntry = createEntry(odd, odd, exp() * 1000, { ...r, accountId: '11112222333\u00e9' }, timing());
    cache.set(oddEntry);
    cache.set(tokenEntry(unsignedToken({ expSeconds: exp(), podName: 'z' }), 3));
    coldAll(cache);
    expect(entry.packed).toBe(true);
    expect(oddEntry.packed).toBe(false);
    expect(cache.lookup(odd, clock.now())?.body).toBe(
      serialiseCredentials({ ...r, accountId: '11112222333\u00e9' }),
    );
    expect(cache.lookup(token, entry.freshUntilMs)).toBeUndefined();
    expect(entry.packed).toBe(true);
    expect(cache.peek(token)).toBe(entry);
  });

  test('the sweep packs what nobody asked for in COLD_AFTER_MS, a chunk per call, and keeps what was asked for', () => {
    const cache = createCredentialCache({ maxEntries: 1000, keyByIdentity: false, hotEntries: 1 });
    const n = SWEEP_CHUNK * 2 + 5;
    const tokens = Array.from({ length: n }, (_, i) =>
      unsignedToken({ expSeconds: exp(), podName: `s${i}` }),
    );
    const entries = tokens.map((t, i) => tokenEntry(t, i));
    let mono = 1_000_000;
    // The first sweep places the mark; everything stored before it is behind it.
    expect(cache.sweep(mono)).toBe(false);
    for (const e of entries) cache.set(e);
    mono += COLD_AFTER_MS - 1;
    expect(cache.sweep(mono)).toBe(false);
    expect(entries.some((e) => e.packed)).toBe(false);
    // Entry 0 and the last one asked for: they stay hot.
    expect(cache.lookup(tokens[0]!, clock.now())).toBe(entries[0]);
    expect(cache.lookup(tokens[n - 1]!, clock.now())).toBe(entries[n - 1]);
    mono += 1;
    // Stored after the mark: not behind it yet, so nothing is due in this period.
    expect(cache.sweep(mono)).toBe(false);
    expect(entries.filter((e) => e.packed).length).toBe(0);
    // A whole period later, everything not asked for since goes, SWEEP_CHUNK per call.
    expect(cache.lookup(tokens[0]!, clock.now())).toBe(entries[0]);
    mono += COLD_AFTER_MS;
    let calls = 1;
    while (cache.sweep(mono)) calls++;
    expect(calls).toBe(3);
    expect(entries.filter((e) => e.packed).length).toBe(n - 1);
    expect(entries[0]!.packed).toBe(false);
    expect(cache.size).toBe(n);
    for (let i = 0; i < n; i++) expect(cache.lookup(tokens[i]!, clock.now())).toBe(entries[i]);
    expect(entries.some((e) => e.packed)).toBe(false);
    expect(cache.size).toBe(n);
  });
});

describe('slab store', () => {
  test('compaction moves live texts out of emptied slabs; released refs still read their own text', () => {
    const text = (i: number) => `${String(i).padStart(8, '0')}${'x'.repeat(1000 + (i % 50))}`;
    const before = slabStats();
    const refs = Array.from({ length: 2000 }, (_, i) => storeText(text(i)));
    const filled = slabStats();
    expect(filled.slabs - before.slabs).toBeGreaterThanOrEqual(Math.floor((2000 * 1000) / SLAB_BYTES));
    // Every tenth kept: the slabs now hold more than twice what is live.
    for (let i = 0; i < refs.length; i++) if (i % 10 !== 0) releaseText(refs[i]!);
    releaseText(refs[1]!); // twice: counted once
    let calls = 1;
    while (compact(50)) calls++;
    expect(calls).toBeGreaterThan(1);
    const after = slabStats();
    expect(after.liveBytes - before.liveBytes).toBe(
      refs.reduce((n, r, i) => n + (i % 10 === 0 ? r.length : 0), 0),
    );
    expect(after.slabs).toBeLessThan(filled.slabs / 3);
    for (let i = 0; i < refs.length; i++) expect(readText(refs[i]!)).toBe(text(i));
    for (let i = 0; i < refs.length; i += 10) releaseText(refs[i]!);
  });

  test('a text longer than MAX_PACKED_TEXT is refused', () => {
    expect(() => storeText('y'.repeat(MAX_PACKED_TEXT + 1))).toThrow('too long');
  });
});

describe('the refresher sweeps', () => {
  test('each tick sweeps; a pass that packed many entries asks the runtime for a collection, once', async () => {
    const cache = createCredentialCache({ maxEntries: 2000, keyByIdentity: false, hotEntries: 1 });
    const n = COLLECT_AFTER_PACKED + 44;
    const entries = Array.from({ length: n }, (_, i) =>
      tokenEntry(unsignedToken({ expSeconds: exp(), podName: `g${i}` }), i),
    );
    for (const e of entries) cache.set(e);
    let collections = 0;
    const refresher = createRefresher({
      cache,
      service: {} as CredentialService,
      maxServiceQps: 3,
      clock,
      metrics: { refreshes: { labels: () => ({ inc() {} }) } } as unknown as Pick<
        CredentialsMetrics,
        'refreshes'
      >,
      logger: createLogger('error'),
      collect: () => collections++,
    });
    for (let i = 0; i < 3; i++) {
      await refresher.tick();
      clock.advance(COLD_AFTER_MS);
    }
    await refresher.tick();
    expect(entries.every((e) => e.packed)).toBe(true);
    expect(collections).toBe(1);
    clock.advance(COLD_AFTER_MS);
    await refresher.tick();
    expect(collections).toBe(1);
  });
});

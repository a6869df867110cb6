// Review of the cache's cold tier (src/credentials/cache.ts, entry.ts, packed-entry.ts, slab-store.ts): random
// operation sequences checked against the cache's invariants, and the cases the review found.
import { describe, expect, test } from 'bun:test';
import { randomBytes } from 'node:crypto';
import { createRandom } from '../../bench/cluster-sim/virtual-time.ts';
import { createManualClock } from '../../src/clock.ts';
import {
  COLD_AFTER_MS,
  type CredentialCache,
  coldSlot,
  createCredentialCache,
} from '../../src/credentials/cache.ts';
import { type CredentialEntry, createEntry, withIdentity } from '../../src/credentials/entry.ts';
import {
  pack,
  packedRestLength,
  referenceText,
  unpackBoth,
  unpackRest,
} from '../../src/credentials/packed-entry.ts';
import { createRefresher } from '../../src/credentials/refresher.ts';
import {
  compact,
  readText,
  releaseText,
  SLAB_BYTES,
  slabStats,
  storeText,
} from '../../src/credentials/slab-store.ts';
import { countedCacheMetrics, createColdTierFixture } from '../helpers/cold-tier-fixture.ts';
import { unsignedToken } from '../helpers/tokens.ts';

const { clock, timing, exp, result, tokenEntry } = createColdTierFixture();
const counted = countedCacheMetrics;
const prng = createRandom;

/** Tokens of every shape the cache must keep apart: JWTs, rests under two headers, cold-slot twins, no dot, odd. */
function tokenPool(): string[] {
  const pool: string[] = [];
  for (let i = 0; i < 14; i++) pool.push(unsignedToken({ expSeconds: exp(), podName: `m${i}` }));
  const base = pool[0]!;
  const dot = base.indexOf('.');
  const rest = base.slice(dot + 1);
  // Same rest under another header.
  pool.push(`${Buffer.from('{"alg":"RS256","kid":"k2"}').toString('base64url')}.${rest}`);
  // Rests coldSlot cannot tell apart.
  for (const c of ['A', 'B', 'C']) pool.push(`${base.slice(0, dot + 2)}${c}${rest.slice(2)}`);
  expect(new Set(pool.slice(-3).map((t) => coldSlot(t.slice(t.indexOf('.') + 1)))).size).toBe(1);
  // No dot; several dots; a character outside Latin-1; an empty rest.
  pool.push(randomBytes(300).toString('base64url'));
  pool.push(`${base}.more.parts`);
  pool.push(`${base.slice(0, -4)}\u20ac${base.slice(-3)}`);
  pool.push(`${base.slice(0, dot)}.`);
  return pool;
}

interface Known {
  token: string;
  body: string;
}

function checkInvariants(
  cache: CredentialCache,
  maxEntries: number,
  known: Map<CredentialEntry, Known>,
  pool: string[],
  liveBase: number,
) {
  const all = [...cache.entries()];
  expect(new Set(all).size).toBe(all.length);
  expect(cache.size).toBe(all.length);
  expect(cache.size).toBeLessThanOrEqual(maxEntries);
  let packedBytes = 0;
  for (const e of all) {
    const k = known.get(e)!;
    expect(e.body).toBe(k.body);
    expect(e.token).toBe(k.token);
    expect(cache.peek(e.key)).toBe(e);
    if (e.packed) packedBytes += (e as unknown as { text: { length: number } }).text.length;
  }
  expect(slabStats().liveBytes - liveBase).toBe(packedBytes);
  for (const t of pool) {
    const p = cache.peek(t);
    // A token finds its own entry or none (identity keys are never tokens here).
    if (p !== undefined && p.identity === undefined) expect(p.token).toBe(t);
  }
}

function randomRun(seed: number, keyByIdentity: boolean) {
  const rnd = prng(seed);
  const pick = <T>(xs: readonly T[]) => xs[Math.floor(rnd() * xs.length)]!;
  const c = counted();
  const maxEntries = 8;
  const cache = createCredentialCache({ maxEntries, keyByIdentity, hotEntries: 2, metrics: c.metrics });
  const pool = tokenPool();
  const identities = ['ns/a/u1', 'ns/b/u2', 'ns/c/u3', 'ns/d/u4'];
  const known = new Map<CredentialEntry, Known>();
  const liveBase = slabStats().liveBytes;
  let mono = 1_000_000 + seed * 10_000_000;
  let n = 0;
  let lastOp = '';
  let lastDetail = '';
  const make = (key: string, token: string) => {
    const e = createEntry(key, token, exp() * 1000, result(n++), timing(), key === token ? undefined : 'pod');
    known.set(e, { token, body: e.body });
    return e;
  };
  for (let step = 0; step < 300; step++) {
    try {
      const before = new Set(cache.entries());
      const evictionsBefore = c.evictions();
      const r = rnd();
      let replaced = 0;
      let explicit = 0;
      if (r < 0.3) {
        const token = pick(pool);
        const useIdentity = keyByIdentity && rnd() < 0.5;
        const key = useIdentity ? pick(identities) : token;
        // The hot tier keeps one entry per rest (as before the cold tier): a token under another header replaces it.
        const rest = token.slice(token.indexOf('.') + 1);
        const old = cache.peek(key);
        replaced = [...before].filter((e) =>
          useIdentity
            ? e.identity === key
            : e.identity === undefined &&
              (e.token === token || (!e.packed && e.tokenRest === rest && token.includes('.'))),
        ).length;
        if (useIdentity) cache.indexToken(token, key, exp() * 1000);
        lastDetail = `set ${pool.indexOf(token)} ${key === token ? '' : key} old=${old === undefined ? '-' : `${pool.indexOf(known.get(old)!.token)}${old.packed ? 'p' : ''}`}`;
        // With no entry replaced, a full cache evicts the entry longest cold (entries() yields the hot tier, most
        // recent first, then the cold tier, oldest first), or with none cold the least recently used.
        const list = [...before];
        const hot = list.length - c.cold();
        const expected =
          replaced > 0 || list.length < maxEntries ? undefined : c.cold() > 0 ? list[hot] : list[hot - 1];
        cache.set(make(key, token));
        if (expected !== undefined) {
          expect(cache.peek(expected.key)).not.toBe(expected);
          expect([...cache.entries()]).not.toContain(expected);
        }
      } else if (r < 0.6) {
        const token = pick(pool);
        lastDetail = `lookup ${pool.indexOf(token)}`;
        const hit = cache.lookup(token, clock.now());
        if (hit !== undefined) {
          if (hit.identity === undefined) expect(hit.token).toBe(token);
          expect(hit.packed).toBe(false);
          expect(hit.body).toBe(known.get(hit)!.body);
        }
      } else if (r < 0.7) {
        const key = rnd() < 0.5 ? pick(pool) : pick(identities);
        if (cache.evict(key)) explicit = 1;
      } else if (r < 0.78 && keyByIdentity) {
        // claims-migration.ts: a token-keyed entry moved to its verified identity.
        const tokenKeyed = [...cache.entries()].filter((e) => e.identity === undefined);
        if (tokenKeyed.length > 0) {
          const e = pick(tokenKeyed);
          const identity = pick(identities);
          const token = e.token;
          if (cache.peek(identity) === undefined) {
            const moved = withIdentity(e, identity, 'pod', token);
            known.set(moved, { token, body: known.get(e)!.body });
            cache.rekey(token, moved);
            replaced = 1;
            cache.indexToken(token, identity, e.tokenExpiresAtMs);
          }
        }
      } else {
        mono += Math.floor(rnd() * 2 * COLD_AFTER_MS);
        let calls = 0;
        while (cache.sweep(mono)) if (++calls > 10_000) throw new Error('sweep does not finish');
      }
      lastOp = `step ${step} r=${r.toFixed(2)}`;
      const after = new Set(cache.entries());
      const goneEntries = [...before].filter((e) => !after.has(e));
      const gone = goneEntries.length;
      lastOp += ` gone=${goneEntries.map((e) => `${pool.indexOf(known.get(e)!.token)}${e.packed ? 'p' : ''}${e.identity ?? ''}`)} last=${lastDetail}`;
      // Every entry that left was replaced under its key, evicted on request, or evicted for room: counted.
      const replacedGone = Math.min(replaced, gone);
      expect(c.evictions() - evictionsBefore).toBe(gone - replacedGone);
      if (explicit) expect(gone).toBe(1);
      checkInvariants(cache, maxEntries, known, pool, liveBase);
      expect(c.size()).toBe(cache.size);
    } catch (err) {
      throw new Error(`${lastOp}: ${(err as Error).message}`);
    }
  }
  // Leave the slabs as they were found.
  for (const e of [...cache.entries()]) cache.evict(e.key);
  expect(slabStats().liveBytes).toBe(liveBase);
}

describe('cold tier review: random operation sequences', () => {
  for (const keyByIdentity of [false, true])
    test(`keyByIdentity=${keyByIdentity}: size, entries(), peeks, evictions and live slab bytes stay consistent`, () => {
      for (let seed = 1; seed <= 40; seed++) {
        try {
          randomRun(seed, keyByIdentity);
        } catch (err) {
          throw new Error(`seed ${seed}: ${(err as Error).message}\n${(err as Error).stack}`);
        }
      }
    });
});

describe('cold tier review: slab store under churn', () => {
  test('stores, releases and compactions interleaved: every ref reads its own text, live bytes add up, slabs stay bounded', () => {
    const rnd = prng(7);
    const base = slabStats();
    const text = (i: number) =>
      `${String(i).padStart(8, '0')}${String.fromCharCode(i % 256).repeat(300 + (i % 900))}`;
    const live = new Map<number, ReturnType<typeof storeText>>();
    const released: [number, ReturnType<typeof storeText>][] = [];
    let n = 0;
    for (let round = 0; round < 4000; round++) {
      const r = rnd();
      if (r < 0.55 || live.size < 50) {
        live.set(n, storeText(text(n)));
        n++;
      } else if (r < 0.95) {
        const keys = [...live.keys()];
        const k = keys[Math.floor(rnd() * keys.length)]!;
        const ref = live.get(k)!;
        releaseText(ref);
        live.delete(k);
        released.push([k, ref]);
      } else {
        while (compact(1 + Math.floor(rnd() * 20)));
        let bytes = 0;
        for (const ref of live.values()) bytes += ref.length;
        const stats = slabStats();
        expect(stats.liveBytes - base.liveBytes).toBe(bytes);
        // At most twice the live bytes and one slab, or the two slabs compaction leaves alone.
        expect((stats.slabs - base.slabs) * SLAB_BYTES).toBeLessThanOrEqual(
          Math.max(2 * bytes + 2 * SLAB_BYTES, 3 * SLAB_BYTES),
        );
      }
    }
    for (const [k, ref] of live) expect(readText(ref)).toBe(text(k));
    for (const [k, ref] of released) expect(readText(ref)).toBe(text(k));
    for (const ref of live.values()) releaseText(ref);
    expect(slabStats().liveBytes).toBe(base.liveBytes);
  });
});

describe('cold tier review: the sweep mark', () => {
  test('a lookup whose token rest is the mark key does not move the mark (an entry just asked for stays hot)', () => {
    const cache = createCredentialCache({ maxEntries: 10, keyByIdentity: false, hotEntries: 1 });
    const tokens = ['a', 'b', 'c'].map((p) => unsignedToken({ expSeconds: exp(), podName: `mark-${p}` }));
    const entries = tokens.map((t, i) => tokenEntry(t, i));
    for (const e of entries) cache.set(e);
    let mono = 50_000_000;
    expect(cache.sweep(mono)).toBe(false); // the mark, behind all three
    expect(cache.lookup(tokens[2]!, clock.now())).toBe(entries[2]);
    // A rest of one line break: no entry can have it, and the lookup finds none...
    expect(cache.lookup(`${tokens[0]!.slice(0, tokens[0]!.indexOf('.'))}.\n`, clock.now())).toBeUndefined();
    expect(cache.lookup('\n', clock.now())).toBeUndefined();
    mono += COLD_AFTER_MS;
    while (cache.sweep(mono));
    // ...and does not make the entry asked for in this period look idle.
    expect(entries[0]!.packed).toBe(true);
    expect(entries[2]!.packed).toBe(false);
  });

  test('an entry whose token rest is the mark key is kept, counted and found like any other', () => {
    const c = counted();
    const cache = createCredentialCache({
      maxEntries: 10,
      keyByIdentity: false,
      hotEntries: 1,
      metrics: c.metrics,
    });
    const header = Buffer.from('{"alg":"none"}').toString('base64url');
    const odd = tokenEntry(`${header}.\n`, 1);
    const other = tokenEntry(unsignedToken({ expSeconds: exp(), podName: 'mark-d' }), 2);
    cache.set(other);
    let mono = 60_000_000;
    cache.sweep(mono);
    cache.set(odd);
    expect(cache.size).toBe(2);
    for (let i = 0; i < 3; i++) {
      mono += COLD_AFTER_MS;
      while (cache.sweep(mono));
    }
    expect(cache.size).toBe(2);
    expect([...cache.entries()].length).toBe(2);
    expect(cache.peek(`${header}.\n`)).toBe(odd);
    expect(cache.lookup(`${header}.\n`, clock.now())).toBe(odd);
    expect(c.evictions()).toBe(0);
  });
});

describe('cold tier review: the packing reference', () => {
  test('the per-process reference keeps no credentials of the entry it was made from', () => {
    // The first entry packed in the process (this one, or one of another test file's) made the reference.
    const e = tokenEntry(unsignedToken({ expSeconds: exp(), podName: 'ref' }), 1);
    const body = JSON.parse(e.body) as { AccessKeyId: string; SecretAccessKey: string };
    expect(e.pack()).toBe(true);
    const reference = referenceText()!;
    expect(reference).toBeDefined();
    expect(reference).not.toMatch(/"SecretAccessKey":"[^"]/);
    expect(reference).not.toMatch(/"AccessKeyId":"[^"]/);
    expect(reference).not.toContain(body.SecretAccessKey);
    e.unpack();
    expect(JSON.parse(e.body)).toEqual(body);
  });
});

describe('cold tier review: a cold hit', () => {
  test("the packed header gives the rest's length exactly, for every shape of rest that packs", () => {
    const body = tokenEntry(unsignedToken({ expSeconds: exp() }), 1).body;
    const jwt = unsignedToken({ expSeconds: exp(), podName: 'len' });
    const rest = jwt.slice(jwt.indexOf('.') + 1);
    const [payload, signature] = rest.split('.') as [string, string];
    const shapes = [
      rest,
      `${payload}.${signature}x`,
      `${payload}x.${signature}`,
      `${payload}xy.${signature}xy`,
    ];
    shapes.push(`${payload}.${signature}.third`, 'no-dots-at-all', `${payload}=.${signature}`, '');
    for (let n = 1; n < 12; n++)
      shapes.push(`${randomBytes(n).toString('base64url')}.${randomBytes(n + 3).toString('base64url')}`);
    for (const r of shapes) {
      const packed = pack(r, body);
      expect(packed).toBeDefined();
      expect(unpackRest(packed!)).toBe(r);
      expect(packedRestLength(packed!)).toBe(r.length);
      expect(unpackBoth(packed!)).toEqual({ rest: r, body });
    }
    expect(unpackBoth(pack(undefined, body)!)).toEqual({ rest: undefined, body });
  });

  test('unpackFor unpacks only for its own token, and leaves the entry packed for any other', () => {
    const token = unsignedToken({ expSeconds: exp(), podName: 'for' });
    const dot = token.indexOf('.');
    const e = tokenEntry(token, 1);
    const body = e.body;
    expect(e.pack()).toBe(true);
    const live = slabStats().liveBytes;
    const others = [
      `${Buffer.from('{"alg":"RS256","kid":"k2"}').toString('base64url')}${token.slice(dot)}`, // another header
      `${token}x`,
      token.slice(0, -1),
      `${token.slice(0, -2)}${token.at(-2) === 'A' ? 'B' : 'A'}${token.at(-1)}`, // same length, one character
      token.slice(dot + 1), // the rest alone
    ];
    for (const t of others) {
      expect(e.unpackFor(t)).toBe(false);
      expect(e.packed).toBe(true);
    }
    expect(slabStats().liveBytes).toBe(live);
    expect(e.unpackFor(token)).toBe(true);
    expect(e.packed).toBe(false);
    expect(e.body).toBe(body);
    expect(e.token).toBe(token);
    expect(e.tokenRest).toBe(token.slice(dot + 1));
    expect(slabStats().liveBytes).toBeLessThan(live);
    // A token with no dot is its own rest.
    const plain = randomBytes(200).toString('base64url');
    const p = tokenEntry(plain, 2);
    expect(p.pack()).toBe(true);
    expect(p.unpackFor(`a.${plain}`)).toBe(false);
    expect(p.unpackFor(plain)).toBe(true);
    expect(p.token).toBe(plain);
  });
});

describe('cold tier review: the refresher', () => {
  test('renewals start from the scan that picked them, not after the sweep has yielded to requests', async () => {
    const rclock = createManualClock();
    const cache = createCredentialCache({ maxEntries: 1000, keyByIdentity: false, hotEntries: 1 });
    const make = (i: number) =>
      createEntry(`t${i}`, `t${i}`, rclock.now() + 86_400_000, result(i), {
        nowMs: rclock.now(),
        monotonicMs: rclock.monotonic(),
        retentionMs: 3600_000,
        random: 0.5,
      });
    const entries = Array.from({ length: 3 * 32 }, (_, i) => make(i));
    for (const e of entries) cache.set(e);
    const due = entries[0]!;
    due.accessed = true;
    due.renewAtMonotonicMs = rclock.monotonic();
    cache.sweep(rclock.monotonic()); // the mark: every entry behind it
    rclock.advance(COLD_AFTER_MS);
    const renewed: CredentialEntry[] = [];
    const noop = () => {};
    const refresher = createRefresher({
      cache,
      service: {
        renew: async (e: CredentialEntry) => {
          renewed.push(e);
          return 'success';
        },
      } as never,
      maxServiceQps: 10,
      clock: rclock,
      metrics: { refreshes: { labels: () => ({ inc: noop }) } } as never,
      logger: { debug: noop, info: noop, warn: noop, error: noop } as never,
    });
    const tick = refresher.tick();
    // Nothing else ran since the scan: the entry due is the one in the cache, and it is renewed now. (The sweep
    // packs ~32 entries per call and yields between calls; a 10,000-entry cache's first sweep took ~350 ms.)
    expect(renewed.length).toBe(1);
    expect(renewed[0]).toBe(due);
    await tick;
    expect(entries.filter((e) => e.packed).length).toBeGreaterThan(32);
  });
});

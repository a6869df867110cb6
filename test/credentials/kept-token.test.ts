// Token-keyed entries keep the token as a pooled header and a rest of its own, and the cache indexes them by the
// rest (src/credentials/kept-token.ts, cache.ts). What must hold: the token read back is the exact token, a
// token that shares a cached token's rest but not its header is a different token (never served its
// credentials, never its entry), and the header pool stays bounded.
import { heapStats } from 'bun:jsc';
import { describe, expect, test } from 'bun:test';
import { createManualClock } from '../../src/clock.ts';
import { createCredentialCache } from '../../src/credentials/cache.ts';
import { createEntry, withIdentity } from '../../src/credentials/entry.ts';
import {
  headerMatches,
  keepToken,
  MAX_POOLED_HEADERS,
  pooledHeaderCount,
  restOf,
  tokenMatches,
} from '../../src/credentials/kept-token.ts';
import type { TokenVerifier } from '../../src/token/types.ts';
import { createFakeEksAuth } from '../helpers/fake-eks-auth.ts';
import { createServiceFixture } from '../helpers/service-fixture.ts';
import { identityFromClaims, unsignedToken } from '../helpers/tokens.ts';

const b64 = (v: unknown) => Buffer.from(JSON.stringify(v)).toString('base64url');
/** The same token with another header segment (the rest, claims and signature, unchanged). */
const withHeader = (token: string, header: unknown) => `${b64(header)}${token.slice(token.indexOf('.'))}`;

describe('kept tokens', () => {
  test('kept as header and rest, read back exactly; tokens without a dot are kept whole', () => {
    const token = unsignedToken({ expSeconds: 2_000_000_000 });
    const kept = keepToken(token);
    expect(`${kept.header}.${kept.rest}`).toBe(token);
    expect(kept.rest).toBe(restOf(token));
    expect(tokenMatches(token, kept.header, kept.rest)).toBe(true);
    expect(tokenMatches(`${token}x`, kept.header, kept.rest)).toBe(false);
    expect(tokenMatches(withHeader(token, { alg: 'none' }), kept.header, kept.rest)).toBe(false);
    expect(keepToken('opaque')).toEqual({ header: undefined, rest: 'opaque' });
    expect(tokenMatches('opaque', undefined, 'opaque')).toBe(true);
    // A leading dot is an empty header, not no header.
    expect(keepToken('.a.b')).toEqual({ header: '', rest: 'a.b' });
    expect(tokenMatches('a.b', '', 'a.b')).toBe(false);
    expect(headerMatches('.a.b', 0, '')).toBe(true);
    expect(headerMatches('a.b', -1, '')).toBe(false);
  });

  test('the header pool holds one string per header and never more than its bound', () => {
    const before = pooledHeaderCount();
    for (let i = 0; i < 50; i++) keepToken(unsignedToken({ expSeconds: 2_000_000_000 }));
    expect(pooledHeaderCount()).toBeLessThanOrEqual(Math.max(before, 1) + 1);
    for (let i = 0; i < 3 * MAX_POOLED_HEADERS; i++) keepToken(`${b64({ alg: 'RS256', kid: `k${i}` })}.p.s`);
    expect(pooledHeaderCount()).toBe(MAX_POOLED_HEADERS);
  });

  test("a token with a cached token's rest but another header is a miss, and gets an entry of its own", async () => {
    const f = createServiceFixture();
    const token = unsignedToken({ expSeconds: f.nowSeconds() + 3600 });
    const entry = await f.service.resolve(token);
    expect(f.service.lookup(token)).toBe(entry);
    const other = withHeader(token, { alg: 'RS256', kid: 'k2' });
    expect(f.service.lookup(other)).toBeUndefined();
    expect(f.cache.peek(other)).toBeUndefined();
    expect(f.cache.peek(token)).toBe(entry);
    const calls = f.upstream.calls.length;
    const second = await f.service.resolve(other);
    expect(f.upstream.calls.length).toBe(calls + 1);
    expect(f.upstream.calls.at(-1)?.token).toBe(other);
    expect(second).not.toBe(entry);
    expect(second.token).toBe(other);
    expect(f.service.lookup(other)).toBe(second);
    // One index slot per rest: the newer one holds it, and the older token is a miss again, never a wrong hit.
    expect(f.service.lookup(token)).toBeUndefined();
    expect(f.cache.evict(token)).toBe(false);
    expect(f.cache.evict(other)).toBe(true);
  });

  test('entries keep the exact token for renewals, and the refresher renews with it', async () => {
    const f = createServiceFixture();
    const token = unsignedToken({ expSeconds: f.nowSeconds() + 12 * 3600 });
    const entry = await f.service.resolve(token);
    expect(entry.key).toBe(token);
    expect(entry.identity).toBeUndefined();
    expect(entry.token).toBe(token);
    expect(entry.hasToken(token)).toBe(true);
    expect(() => {
      entry.token = unsignedToken({ expSeconds: f.nowSeconds() + 3600 });
    }).toThrow('cannot change its token');
    f.service.lookup(token);
    f.advanceMonotonicTo(entry.renewAtMonotonicMs);
    const calls = f.upstream.calls.length;
    await f.refresher.tick();
    await f.service.idle();
    expect(f.upstream.calls.length).toBe(calls + 1);
    expect(f.upstream.calls.at(-1)?.token).toBe(token);
    expect(f.service.lookup(token)?.body).not.toBe(entry.body);
  });

  test("a renewed entry is stored under its own rest: the LRU does not keep the replaced entry's copy beside it", async () => {
    // The LRU keeps the key a slot was first stored under when a value replaces another, so storing the renewal
    // over the old entry kept the old entry's rest as the key and the new entry's as its token: two copies of
    // every renewed token. Counted as live strings after full collections: about one per entry with it.
    const n = 2000;
    const f = createServiceFixture({ maxEntries: 2 * n, maxServiceQps: 10 * n });
    for (let i = 0; i < n; i++) {
      const token = unsignedToken({ expSeconds: f.nowSeconds() + 12 * 3600, podUid: `uid-${i}` });
      await f.service.resolve(token);
      f.service.lookup(token);
    }
    // The fake's call log holds every token sent upstream; only the cache may hold them here.
    f.upstream.calls.length = 0;
    const liveStrings = () => {
      Bun.gc(true);
      Bun.gc(true);
      return heapStats().objectTypeCounts.string ?? 0;
    };
    const before = liveStrings();
    let due = 0;
    for (const entry of f.cache.entries()) due = Math.max(due, entry.renewAtMonotonicMs);
    f.advanceMonotonicTo(due);
    await f.refresher.tick();
    await f.service.idle();
    expect(f.upstream.calls.length).toBe(n);
    f.upstream.calls.length = 0;
    expect(f.cache.size).toBe(n);
    for (const entry of f.cache.entries()) expect(entry.renewAtMonotonicMs).toBeGreaterThan(due);
    expect(liveStrings() - before).toBeLessThan(n / 4);
  });
});

describe('tokens that share a slot never reach each other', () => {
  const clock = createManualClock();
  const upstream = createFakeEksAuth(clock);
  const timing = () => ({
    nowMs: clock.now(),
    monotonicMs: clock.monotonic(),
    retentionMs: 3600_000,
    random: 0.5,
  });
  let n = 0;
  const entryFor = (key: string, token: string) =>
    createEntry(
      key,
      token,
      Number.POSITIVE_INFINITY,
      upstream.success({ token, options: undefined }, ++n),
      timing(),
    );
  // Every token here shares its rest (the slot) or its header with another, or its whole text with another's rest.
  const tokens = [
    'R',
    'h.R',
    '.R',
    'g.R',
    'h.h.R',
    'h.R.',
    'R.',
    '..R',
    '.',
    '..',
    '',
    'h.',
    'a.b.c',
    'x.a.b.c',
    'b.c',
  ];
  const identity = 'ns/sa/uid';

  for (const keyByIdentity of [false, true]) {
    test(`keyByIdentity ${keyByIdentity}: lookup, peek, evict and rekey by one token touch only its own entry`, () => {
      for (const t of tokens) expect([entryFor(t, t).token, entryFor(t, t).key]).toEqual([t, t]);
      for (const a of tokens) {
        for (const b of tokens) {
          if (a === b) continue;
          const cache = createCredentialCache({ maxEntries: 10, keyByIdentity });
          const byIdentity = entryFor(identity, tokens[0]!);
          cache.set(byIdentity);
          cache.set(entryFor(a, a));
          cache.set(entryFor(b, b));
          const held = () => new Set(cache.entries());
          const now = clock.now();
          for (const t of [...tokens, identity]) {
            const hit = cache.lookup(t, now);
            if (hit !== undefined)
              expect([t, hit.key, hit.token, hit.identity]).toEqual([t, t, t, undefined]);
            const peeked = cache.peek(t);
            if (peeked !== undefined) expect([t, peeked.key]).toEqual([t, t]);
          }
          expect(cache.peek(identity)).toBe(byIdentity);
          expect(cache.peek(b)?.token).toBe(b);
          expect(cache.lookup(b, now)?.token).toBe(b);
          // Evicting or re-keying any other token removes nothing.
          const before = held();
          for (const c of tokens) {
            if (c === b || (c === a && cache.peek(a) !== undefined)) continue;
            expect(cache.evict(c)).toBe(false);
            cache.rekey(c, byIdentity);
            expect(held()).toEqual(before);
          }
          const moved = withIdentity(cache.peek(b)!, 'ns/sa/other', 'pod', b);
          cache.rekey(b, moved);
          expect([cache.peek(b), cache.peek('ns/sa/other'), cache.peek(identity)]).toEqual([
            undefined,
            moved,
            byIdentity,
          ]);
          if (cache.peek(a) !== undefined) expect(cache.evict(a)).toBe(true);
          expect(new Set(cache.entries())).toEqual(new Set([byIdentity, moved]));
        }
      }
    });
  }
});

describe('claims-mode entries re-keyed when the signing keys load', () => {
  test('moved under the pod with the exact token, found through the index, renewed with that token', async () => {
    let ready = false;
    const verifier: TokenVerifier = {
      canVerify: () => ready,
      requestKeys() {},
      async verify(token) {
        return identityFromClaims(token);
      },
      async close() {},
    };
    const f = createServiceFixture({ verifier });
    const exp = f.nowSeconds() + 12 * 3600;
    const a = unsignedToken({ expSeconds: exp, podUid: 'a' });
    const b = unsignedToken({ expSeconds: exp, podUid: 'b' });
    // b's rest under another header: a different token, cached in claims mode in b's slot.
    const bRespelt = withHeader(b, { alg: 'RS256', kid: 'k2' });
    const first = await f.service.resolve(a);
    await f.service.resolve(bRespelt);
    await f.service.resolve(b);
    expect([first.identity, f.cache.peek(bRespelt), f.cache.size]).toEqual([undefined, undefined, 2]);
    ready = true;
    const c = unsignedToken({ expSeconds: exp, podUid: 'c' });
    expect((await f.service.resolve(c)).identity).toBe('default/app/c');
    const movedA = f.cache.peek('default/app/a');
    const movedB = f.cache.peek('default/app/b');
    expect([movedA?.token, movedA?.body, movedA?.identity]).toEqual([a, first.body, 'default/app/a']);
    expect(movedB?.token).toBe(b);
    expect([f.cache.peek(a), f.cache.peek(b), f.cache.size]).toEqual([undefined, undefined, 3]);
    expect(f.service.lookup(a)).toBe(movedA);
    expect(f.service.lookup(b)).toBe(movedB);
    expect(f.service.lookup(bRespelt)).toBeUndefined();
    f.advanceMonotonicTo(Math.max(movedA!.renewAtMonotonicMs, movedB!.renewAtMonotonicMs));
    const calls = f.upstream.calls.length;
    await f.refresher.tick();
    await f.service.idle();
    expect(new Set(f.upstream.calls.slice(calls).map((c) => c.token))).toEqual(new Set([a, b, c]));
    expect(f.service.lookup(a)?.body).not.toBe(first.body);
    expect(f.service.lookup(a)?.identity).toBe('default/app/a');
  });
});

// The credential cache: a bounded LRU of entries (../shared/lru.ts, whose memory grows with the entries held),
// plus (when tokens are verified) an index from verified tokens to the pod identity key, so a rotated token for
// the same pod finds the same entry. Lookups are synchronous. It counts its own evictions and reports its size
// when metrics are read.
//
// An entry keyed by its token (claims mode) is indexed by the token's rest (everything after the header,
// kept-token.ts), and a lookup checks the header too: the header is kept once for all tokens that share it,
// so the index does not hold a second copy of each token's ~100 header characters. Entries keyed by a pod
// identity are indexed by it (it contains '/', which no token's rest that EKS Auth accepts does).
//
// Two tiers. The hot tier is that LRU: a hit there is a Map lookup, as it always was. Once the cache holds more
// than HOT_ENTRIES, an entry nobody asked for in COLD_AFTER_MS is packed by the refresher's sweep
// (packed-entry.ts: about half the bytes, kept in slabs, slab-store.ts) into the cold tier, a Map in the order
// entries went cold; a hit there unpacks it back into the hot tier. Most of a big cache is cold: an SDK asks
// again only when its credentials near expiry, and every rotated token of a pod leaves an entry nobody asks for.
// The cold tier is indexed by a number made from the token's rest (an identity-keyed entry by its identity), so
// it keeps no copy of the rest; entries under one number are told apart by their tokens. Both tiers together
// hold at most maxEntries; past that, the entry longest cold is evicted, or with none cold the least recently
// used.
import type { CredentialsMetrics } from '../observability/metrics.ts';
import { Lru } from '../shared/lru.ts';
import type { CredentialEntry } from './entry.ts';
import { headerMatches, restOf } from './kept-token.ts';
import { compact } from './slab-store.ts';

/** What the cache reports: evictions (pod_identity_cache_state{state="evicted"}) and its size at scrape. */
export interface CacheMetrics {
  readonly hot: Pick<CredentialsMetrics['hot'], 'evicted'>;
  readonly cacheSize: CredentialsMetrics['cacheSize'];
  readonly coldSize?: CredentialsMetrics['coldSize'];
}

export interface TokenIndexEntry {
  readonly key: string;
  readonly tokenExpiresAtMs: number;
}

export interface CredentialCache {
  /** The entry for a token, if one may be served at `nowMs`; does not touch LRU order on a miss. */
  lookup(token: string, nowMs: number): CredentialEntry | undefined;
  /** The entry stored under a cache key (token or pod identity), servable or not. */
  peek(key: string): CredentialEntry | undefined;
  set(entry: CredentialEntry): void;
  /** Records that a verified `token` belongs to the identity `key` (identity-keyed caches only). */
  indexToken(token: string, key: string, tokenExpiresAtMs: number): void;
  /** Removes the entry under `key` and counts the eviction; false when there was none. */
  evict(key: string): boolean;
  /** Stores `entry` under its own key in place of the one under `fromKey` (not an eviction). */
  rekey(fromKey: string, entry: CredentialEntry): void;
  entries(): IterableIterator<CredentialEntry>;
  /**
   * Packs up to SWEEP_CHUNK hot entries not used for COLD_AFTER_MS into the cold tier (when the cache holds more
   * than HOT_ENTRIES), or compacts the slabs a step; true when more is due
   * (call again after yielding). `nowMs` is monotonic.
   */
  sweep(nowMs: number): boolean;
  /** Entries packed since the last call (the refresher asks for a collection after many). */
  takePacked(): number;
  readonly size: number;
}

export interface CredentialCacheOptions {
  /** --max-cache-size; 0 disables caching. */
  maxEntries: number;
  /**
   * Whether verified tokens are keyed by pod identity (through the token index). Tokens served in claims mode
   * (before signing keys load) are keyed by the token itself in the same cache, so both kinds are looked up.
   */
  keyByIdentity: boolean;
  metrics?: CacheMetrics;
  /** Entries up to which nothing is packed (tests); HOT_ENTRIES by default. */
  hotEntries?: number;
}

/** Verified tokens remembered per entry: a pod's token rotates a few times a day, so 4x is plenty. */
const TOKEN_INDEX_FACTOR = 4;

/**
 * A cache of up to this many entries packs nothing: every pod of a busy node (250) and a pod-start storm's worth
 * stay as they are, and packing's one-time cost (its code and buffers, ~3-6 MB) is paid only by a big cache.
 */
export const HOT_ENTRIES = 1024;

/** A hot entry not asked for in this long goes cold at the next sweep (within twice this). */
export const COLD_AFTER_MS = 5_000;

/**
 * Entries packed per sweep call, so the refresher yields to requests between calls: ~0.5 ms of work once the
 * packing code is compiled, ~2.5 ms before (the image's JIT thresholds are raised a hundredfold).
 */
export const SWEEP_CHUNK = 16;

/**
 * The hot tier's sweep mark: an LRU key no lookup can name (a symbol; every key a lookup uses is a string, so a
 * token's rest cannot move or replace the mark). Entries behind it were not used since it was placed.
 */
const MARK_KEY: unique symbol = Symbol('sweep mark');
const MARK = Object.freeze({}) as unknown as CredentialEntry;

/**
 * The cold tier's index for a token-keyed entry: a number from the rest's length and 32 of its characters (the
 * last 16, a JWT's signature, and 16 spread over the rest). Entries that share it are told apart by their tokens.
 */
export function coldSlot(rest: string): number {
  const n = rest.length;
  let h = n | 0;
  const tail = Math.max(0, n - 16);
  for (let i = tail; i < n; i++) h = Math.imul(h ^ rest.charCodeAt(i), 0x01000193);
  const step = Math.max(1, Math.floor(tail / 16));
  for (let i = 0, k = 0; i < tail && k < 16; i += step, k++)
    h = Math.imul(h ^ rest.charCodeAt(i), 0x01000193);
  return h;
}

export function createCredentialCache(options: CredentialCacheOptions): CredentialCache {
  if (options.maxEntries <= 0) return disabledCache();
  const evicted = options.metrics?.hot.evicted;
  const { maxEntries } = options;
  const hotEntries = Math.max(1, Math.min(maxEntries, options.hotEntries ?? HOT_ENTRIES));
  /**
   * The cold tier, oldest first: a token-keyed entry under `coldSlot` of its rest (an array when several share
   * it), an identity-keyed one under its identity.
   */
  const cold = new Map<number | string, CredentialEntry | CredentialEntry[]>();
  let coldCount = 0;
  let packed = 0;
  /** Whether the sweep mark is in the LRU, and since when (monotonic ms). */
  let marked = false;
  let markedAtMs = 0;
  // The bounds are kept by setHot; the LRU's own only leaves room for the mark and the entry being stored.
  const lru = new Lru<string | typeof MARK_KEY, CredentialEntry>(maxEntries + 2, (entry) => {
    if (entry === MARK) marked = false;
  });
  const hotSize = () => lru.size - (marked ? 1 : 0);
  if (options.metrics) {
    options.metrics.cacheSize.read = () => hotSize() + coldCount;
    if (options.metrics.coldSize) options.metrics.coldSize.read = () => coldCount;
  }

  /** Takes the hot tier's least recently used entry out of it. */
  function popHot(): CredentialEntry | undefined {
    // The mark is at most one of the two oldest.
    for (const key of lru.keysFromOldest(2)) {
      if (key === MARK_KEY) continue;
      const entry = lru.peek(key)!;
      lru.delete(key);
      return entry;
    }
    return undefined;
  }
  /**
   * The cold tier's oldest slot is found by one iterator kept across evictions: a new iterator's first step
   * skips every slot deleted since the Map last rehashed (measured: ~12 us per eviction at 10,000 cold entries,
   * ~24 us at 50,000, against ~0.3 us kept). Every slot before the iterator's position was returned by it and
   * deleted since, except `coldHead`, the last one returned while entries are left under it.
   */
  let coldOrder: Iterator<number | string> | undefined;
  let coldHead: number | string | undefined;
  function oldestColdSlot(): number | string {
    if (coldHead !== undefined) return coldHead;
    coldOrder ??= cold.keys();
    let next = coldOrder.next();
    if (next.done) {
      // Finished for good (a Map iterator never resumes), though slots were added after it: start over.
      coldOrder = cold.keys();
      next = coldOrder.next();
    }
    coldHead = next.value as number | string;
    return coldHead;
  }
  function evictOldestCold() {
    const slot = oldestColdSlot();
    const oldest = cold.get(slot)!;
    const entry = Array.isArray(oldest) ? oldest[0]! : oldest;
    removeCold(slot, entry);
    entry.releasePacked();
  }
  /**
   * Stores an entry at the hot tier's most recent end; past maxEntries the entry longest cold is evicted (or,
   * with none cold, the least recently used).
   */
  function setHot(slot: string, entry: CredentialEntry) {
    lru.set(slot, entry);
    while (hotSize() + coldCount > maxEntries) {
      if (coldCount > 0) evictOldestCold();
      else popHot();
      evicted?.inc();
    }
  }

  function addCold(slot: number | string, entry: CredentialEntry) {
    const there = cold.get(slot);
    // Arrays are replaced, never changed, so an iteration over the tier sees each entry once.
    cold.set(slot, there === undefined ? entry : Array.isArray(there) ? [...there, entry] : [there, entry]);
    coldCount++;
  }
  function removeCold(slot: number | string, entry: CredentialEntry) {
    const there = cold.get(slot);
    if (there === entry) {
      cold.delete(slot);
      if (slot === coldHead) coldHead = undefined;
    } else if (Array.isArray(there) && there.includes(entry)) {
      const left = there.filter((e) => e !== entry);
      if (left.length === 1) cold.set(slot, left[0]!);
      else cold.set(slot, left);
    } else return;
    coldCount--;
  }
  /** The entries under a cold slot. */
  function coldAt(slot: number | string): readonly CredentialEntry[] {
    const there = cold.get(slot);
    return there === undefined ? [] : Array.isArray(there) ? there : [there];
  }
  /** Where an entry sits in the cold tier (its rest is read before it is packed, or unpacked from it). */
  function coldSlotOf(entry: CredentialEntry, rest: string): number | string {
    return entry.identity ?? coldSlot(rest);
  }
  /** Packs a hot entry (already out of the LRU) into the cold tier's most recent end. */
  function demote(entry: CredentialEntry) {
    const slot = coldSlotOf(entry, entry.tokenRest);
    // Text that cannot be packed exactly is kept as it is (it is still bounded, as one entry).
    if (entry.pack()) packed++;
    addCold(slot, entry);
  }
  /** Moves a cold entry back to the hot tier (its most recent end). */
  function promote(slot: number | string, entry: CredentialEntry): CredentialEntry {
    removeCold(slot, entry);
    entry.unpack();
    setHot(slotOf(entry), entry);
    return entry;
  }
  /** The cold entry keyed by the identity `key` (an identity is one entry: never an array). */
  function coldByIdentity(key: string): CredentialEntry | undefined {
    const there = cold.get(key);
    return there !== undefined && !Array.isArray(there) && there.identity === key ? there : undefined;
  }
  /** The cold token-keyed entry for `token`, whose rest is `rest`. */
  function coldByToken(token: string, rest: string): [number, CredentialEntry] | undefined {
    const slot = coldSlot(rest);
    for (const entry of coldAt(slot))
      if (entry.identity === undefined && entry.hasToken(token)) return [slot, entry];
    return undefined;
  }

  function byToken(token: string, nowMs: number): CredentialEntry | undefined {
    const dot = token.indexOf('.');
    const rest = dot < 0 ? token : token.slice(dot + 1);
    const entry = lru.get(rest);
    if (entry === undefined) {
      // A cold hit: its entry is unpacked as it is told apart from others under the slot (one decode). A token
      // finds at most one token-keyed entry, so skipping those that may not be served (still packed) first
      // answers the same.
      const slot = coldSlot(rest);
      for (const there of coldAt(slot)) {
        if (there.identity !== undefined || !(nowMs < there.freshUntilMs && nowMs < there.tokenExpiresAtMs))
          continue;
        if (there.unpackFor(token)) return promote(slot, there);
      }
      return undefined;
    }
    return entry.identity === undefined &&
      headerMatches(token, dot, entry.tokenHeader) &&
      nowMs < entry.freshUntilMs &&
      nowMs < entry.tokenExpiresAtMs
      ? entry
      : undefined;
  }
  /** Where an entry sits in the LRU. */
  const slotOf = (entry: CredentialEntry) => entry.identity ?? entry.tokenRest;
  /** Where an entry is: the hot tier (a string, its LRU key) or the cold tier (a cold slot). */
  function locate(key: string): { entry: CredentialEntry; hot?: string; cold?: number | string } | undefined {
    const byIdentity = lru.peek(key);
    if (byIdentity !== undefined && byIdentity.identity === key) return { entry: byIdentity, hot: key };
    const rest = restOf(key);
    const byRest = lru.peek(rest);
    if (byRest !== undefined && byRest.identity === undefined && byRest.hasToken(key))
      return { entry: byRest, hot: rest };
    const coldIdentity = coldByIdentity(key);
    if (coldIdentity !== undefined) return { entry: coldIdentity, cold: key };
    const found = coldByToken(key, rest);
    return found === undefined ? undefined : { entry: found[1], cold: found[0] };
  }
  function remove(key: string): boolean {
    const where = locate(key);
    if (where === undefined) return false;
    if (where.hot !== undefined) lru.delete(where.hot);
    else {
      removeCold(where.cold!, where.entry);
      where.entry.releasePacked();
    }
    return true;
  }
  /**
   * Stores `entry` in its slot, emptied first: a value stored over another keeps the key the slot was first
   * stored under, which for a renewal is the old entry's copy of the token's rest (or identity), a second copy
   * beside the new entry's own for as long as the entry is cached. An entry under the same key in the cold tier
   * goes too.
   */
  function store(entry: CredentialEntry) {
    const slot = slotOf(entry);
    lru.delete(slot);
    if (coldCount > 0) {
      const coldAtSlot = coldSlotOf(entry, slot);
      for (const there of coldAt(coldAtSlot)) {
        // An identity is one entry; a token's rest is shared only by tokens under other headers.
        if (there.identity !== entry.identity) continue;
        if (entry.identity === undefined && !(there.tokenHeader === entry.tokenHeader && there.hasRest(slot)))
          continue;
        removeCold(coldAtSlot, there);
        there.releasePacked();
      }
    }
    setHot(slot, entry);
  }
  // Behaviour chosen once: token-keyed caches look up directly, identity-keyed ones go through the index
  // first (and then directly, for entries cached in claims mode before the signing keys loaded).
  const lookup = options.keyByIdentity
    ? (() => {
        const index = new Lru<string, TokenIndexEntry>(options.maxEntries * TOKEN_INDEX_FACTOR);
        return {
          lookup(token: string, nowMs: number) {
            const ref = index.get(token);
            if (ref === undefined) return byToken(token, nowMs);
            if (ref.tokenExpiresAtMs <= nowMs) return undefined;
            let entry = lru.get(ref.key);
            if (entry === undefined) {
              const coldEntry = coldByIdentity(ref.key);
              if (coldEntry === undefined || !(nowMs < coldEntry.freshUntilMs)) return undefined;
              entry = promote(ref.key, coldEntry);
            }
            return entry.identity === ref.key && nowMs < entry.freshUntilMs ? entry : undefined;
          },
          indexToken(token: string, key: string, tokenExpiresAtMs: number) {
            index.set(token, { key, tokenExpiresAtMs });
          },
        };
      })()
    : { lookup: byToken, indexToken() {} };

  /** Starts a sweep period: the mark at the most recent end of the hot tier. */
  function placeMark(nowMs: number) {
    lru.delete(MARK_KEY);
    lru.set(MARK_KEY, MARK);
    marked = true;
    markedAtMs = nowMs;
    // Once a period the eviction order's iterator starts over, so an idle one holds no storage the Map replaced.
    coldOrder = undefined;
    coldHead = undefined;
  }

  return {
    lookup: lookup.lookup,
    indexToken: lookup.indexToken,
    peek: (key) => locate(key)?.entry,
    set: store,
    evict(key) {
      if (!remove(key)) return false;
      evicted?.inc();
      return true;
    },
    rekey(fromKey, entry) {
      remove(fromKey);
      store(entry);
    },
    entries() {
      // A snapshot of both tiers, in one array (no generator: the refresher walks it every second, and generators
      // cost the runtime more to compile): a promotion or demotion while the caller iterates must not skip or
      // repeat.
      const all = lru.valuesFromNewest();
      const mark = all.indexOf(MARK);
      if (mark >= 0) all.splice(mark, 1);
      for (const there of cold.values()) {
        if (Array.isArray(there)) for (const entry of there) all.push(entry);
        else all.push(there);
      }
      return all.values();
    },
    sweep(nowMs) {
      if (!marked) {
        placeMark(nowMs);
        return false;
      }
      if (nowMs - markedAtMs < COLD_AFTER_MS) return false;
      // The slabs first: a chunk of moves is cheaper than a chunk of packing.
      if (compact(SWEEP_CHUNK * 4)) return true;
      // A cache of up to hotEntries keeps everything unpacked: it is small, and packing's own code and buffers
      // cost more than it saves there.
      if (hotSize() + coldCount <= hotEntries) {
        placeMark(nowMs);
        return false;
      }
      // From the least recently used end up to the mark: not used since it was placed.
      const due: string[] = [];
      for (const key of lru.keysFromOldest(SWEEP_CHUNK)) {
        if (typeof key !== 'string') break;
        due.push(key);
      }
      for (const key of due) {
        const entry = lru.peek(key)!;
        lru.delete(key);
        demote(entry);
      }
      if (due.length === SWEEP_CHUNK) return true;
      // All behind the mark are cold: the mark starts the next period at the most recent end.
      placeMark(nowMs);
      return false;
    },
    takePacked() {
      const n = packed;
      packed = 0;
      return n;
    },
    get size() {
      return hotSize() + coldCount;
    },
  };
}

function disabledCache(): CredentialCache {
  return {
    lookup: () => undefined,
    peek: () => undefined,
    set() {},
    indexToken() {},
    evict: () => false,
    rekey() {},
    entries: () => [][Symbol.iterator](),
    sweep: () => false,
    takePacked: () => 0,
    get size() {
      return 0;
    },
  };
}

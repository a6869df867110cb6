// The credential cache: a bounded LRU of entries, plus (when tokens are verified) an index from verified
// tokens to the pod identity key, so a rotated token for the same pod finds the same entry. Lookups are
// synchronous. It counts its own evictions and reports its size when metrics are read.
//
// An entry keyed by its token (claims mode) is indexed by the token's rest (everything after the header,
// kept-token.ts), and a lookup checks the header too: the header is kept once for all tokens that share it,
// so the index does not hold a second copy of each token's ~100 header characters. Entries keyed by a pod
// identity are indexed by it (it contains '/', which no token's rest that EKS Auth accepts does).
import { LRUCache } from 'lru-cache';
import type { CredentialsMetrics } from '../observability/metrics.ts';
import type { CredentialEntry } from './entry.ts';
import { headerMatches, restOf } from './kept-token.ts';

/** What the cache reports: evictions (pod_identity_cache_state{state="evicted"}) and its size at scrape. */
export interface CacheMetrics {
  readonly hot: Pick<CredentialsMetrics['hot'], 'evicted'>;
  readonly cacheSize: CredentialsMetrics['cacheSize'];
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
}

/** Verified tokens remembered per entry: a pod's token rotates a few times a day, so 4x is plenty. */
const TOKEN_INDEX_FACTOR = 4;

export function createCredentialCache(options: CredentialCacheOptions): CredentialCache {
  if (options.maxEntries <= 0) return disabledCache();
  const evicted = options.metrics?.hot.evicted;
  const lru = new LRUCache<string, CredentialEntry>({
    max: options.maxEntries,
    // The LRU bound pushing an entry out is an eviction like any other.
    dispose: evicted
      ? (_entry, _key, reason) => {
          if (reason === 'evict') evicted.inc();
        }
      : undefined,
  });
  if (options.metrics) options.metrics.cacheSize.read = () => lru.size;

  function byToken(token: string, nowMs: number): CredentialEntry | undefined {
    const dot = token.indexOf('.');
    const entry = lru.get(dot < 0 ? token : token.slice(dot + 1));
    return entry !== undefined &&
      entry.identity === undefined &&
      headerMatches(token, dot, entry.tokenHeader) &&
      nowMs < entry.freshUntilMs &&
      nowMs < entry.tokenExpiresAtMs
      ? entry
      : undefined;
  }
  /** Where an entry sits in the LRU. */
  const slotOf = (entry: CredentialEntry) => entry.identity ?? entry.tokenRest;
  /**
   * Stores `entry` in its slot, emptied first: a value stored over another keeps the key the slot was first
   * stored under, which for a renewal is the old entry's copy of the token's rest (or identity), a second copy
   * beside the new entry's own for as long as the entry is cached.
   */
  function store(entry: CredentialEntry) {
    const slot = slotOf(entry);
    lru.delete(slot);
    lru.set(slot, entry);
  }
  /** The entry under a cache key (an identity, or a token), without touching LRU order. */
  function find(key: string): CredentialEntry | undefined {
    const byIdentity = lru.peek(key);
    if (byIdentity !== undefined && byIdentity.identity === key) return byIdentity;
    const byRest = lru.peek(restOf(key));
    return byRest !== undefined && byRest.identity === undefined && byRest.hasToken(key) ? byRest : undefined;
  }
  // Behaviour chosen once: token-keyed caches look up directly, identity-keyed ones go through the index
  // first (and then directly, for entries cached in claims mode before the signing keys loaded).
  const lookup = options.keyByIdentity
    ? (() => {
        const index = new LRUCache<string, TokenIndexEntry>({ max: options.maxEntries * TOKEN_INDEX_FACTOR });
        return {
          lookup(token: string, nowMs: number) {
            const ref = index.get(token);
            if (ref === undefined) return byToken(token, nowMs);
            if (ref.tokenExpiresAtMs <= nowMs) return undefined;
            const entry = lru.get(ref.key);
            return entry !== undefined && entry.identity === ref.key && nowMs < entry.freshUntilMs
              ? entry
              : undefined;
          },
          indexToken(token: string, key: string, tokenExpiresAtMs: number) {
            index.set(token, { key, tokenExpiresAtMs });
          },
        };
      })()
    : { lookup: byToken, indexToken() {} };

  return {
    lookup: lookup.lookup,
    indexToken: lookup.indexToken,
    peek: find,
    set: store,
    evict(key) {
      const entry = find(key);
      if (entry === undefined) return false;
      lru.delete(slotOf(entry));
      evicted?.inc();
      return true;
    },
    rekey(fromKey, entry) {
      const from = find(fromKey);
      if (from !== undefined) lru.delete(slotOf(from));
      store(entry);
    },
    entries: () => lru.values(),
    get size() {
      return lru.size;
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
    get size() {
      return 0;
    },
  };
}

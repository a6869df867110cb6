// The credential cache: a bounded LRU of entries, plus (when tokens are verified) an index from verified
// tokens to the pod identity key, so a rotated token for the same pod finds the same entry. Lookups are
// synchronous and allocate nothing.
import { LRUCache } from 'lru-cache';
import type { CredentialEntry } from './entry.ts';

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
  delete(key: string): boolean;
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
  /** Called when the LRU bound pushes an entry out. */
  onEvict?: (entry: CredentialEntry) => void;
}

/** Verified tokens remembered per entry: a pod's token rotates a few times a day, so 4x is plenty. */
const TOKEN_INDEX_FACTOR = 4;

export function createCredentialCache(options: CredentialCacheOptions): CredentialCache {
  if (options.maxEntries <= 0) return disabledCache();
  const { onEvict } = options;
  const lru = new LRUCache<string, CredentialEntry>({
    max: options.maxEntries,
    dispose: onEvict
      ? (entry, _key, reason) => {
          if (reason === 'evict') onEvict(entry);
        }
      : undefined,
  });

  function byToken(token: string, nowMs: number): CredentialEntry | undefined {
    const entry = lru.get(token);
    return entry !== undefined && nowMs < entry.freshUntilMs && nowMs < entry.tokenExpiresAtMs
      ? entry
      : undefined;
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
            return entry !== undefined && nowMs < entry.freshUntilMs ? entry : undefined;
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
    peek: (key) => lru.peek(key),
    set(entry) {
      lru.set(entry.key, entry);
    },
    delete: (key) => lru.delete(key),
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
    delete: () => false,
    entries: () => [][Symbol.iterator](),
    get size() {
      return 0;
    },
  };
}

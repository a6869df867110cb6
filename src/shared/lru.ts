// A bounded least-recently-used map whose memory grows with the entries it holds, not with its bound.
// lru-cache (the design's first choice) allocates its key and value lists for `max` entries up front: with
// --max-cache-size 20000 the cache, and in signature mode the token index (4x that bound), cost memory before a
// single pod asked (README, footprint (8), has the figures). Here the lists are JavaScript
// arrays that grow as entries arrive and the links are typed arrays doubled on demand, up to the bound.
// Lookups are one Map get and a relink, as in lru-cache; there are no TTLs (callers keep their own expiry).

const FIRST_CAPACITY = 16;
/** Marks "no slot" in the links; slots are below the bound, which is below this. */
const NONE = 0xffff_ffff;

export class Lru<K, V> {
  readonly max: number;
  readonly #onEvict: ((value: V, key: K) => void) | undefined;
  readonly #index = new Map<K, number>();
  readonly #keys: (K | undefined)[] = [];
  readonly #values: (V | undefined)[] = [];
  /** Freed slots, reused before the lists grow. */
  readonly #free: number[] = [];
  /** Towards the most recent end. */
  #next = new Uint32Array(0);
  /** Towards the least recent end. */
  #prev = new Uint32Array(0);
  /** Least recently used slot, or NONE. */
  #oldest = NONE;
  /** Most recently used slot, or NONE. */
  #newest = NONE;

  /** `onEvict` is called for an entry pushed out by the bound (not for delete or a replaced value). */
  constructor(max: number, onEvict?: (value: V, key: K) => void) {
    if (!Number.isInteger(max) || max < 1 || max >= NONE)
      throw new RangeError(`Lru bound must be 1..2^32-2, got ${max}`);
    this.max = max;
    this.#onEvict = onEvict;
  }

  get size(): number {
    return this.#index.size;
  }

  has(key: K): boolean {
    return this.#index.has(key);
  }

  /** The value, made the most recently used. */
  get(key: K): V | undefined {
    const slot = this.#index.get(key);
    if (slot === undefined) return undefined;
    this.#toNewest(slot);
    return this.#values[slot];
  }

  /** The value, its recency unchanged. */
  peek(key: K): V | undefined {
    const slot = this.#index.get(key);
    return slot === undefined ? undefined : this.#values[slot];
  }

  /** Stores the value as the most recently used; past the bound, the least recently used entry is evicted. */
  set(key: K, value: V): this {
    const there = this.#index.get(key);
    if (there !== undefined) {
      this.#values[there] = value;
      this.#toNewest(there);
      return this;
    }
    if (this.#index.size >= this.max) this.#evictOldest();
    const slot = this.#allocate();
    this.#keys[slot] = key;
    this.#values[slot] = value;
    this.#index.set(key, slot);
    this.#linkNewest(slot);
    return this;
  }

  delete(key: K): boolean {
    const slot = this.#index.get(key);
    if (slot === undefined) return false;
    this.#remove(key, slot);
    return true;
  }

  clear(): void {
    this.#index.clear();
    this.#keys.length = 0;
    this.#values.length = 0;
    this.#free.length = 0;
    this.#next = new Uint32Array(0);
    this.#prev = new Uint32Array(0);
    this.#oldest = NONE;
    this.#newest = NONE;
  }

  /** Up to `limit` keys from the least recently used end, oldest first (a copy: the caller may delete them). */
  keysFromOldest(limit: number): K[] {
    const out: K[] = [];
    for (let slot = this.#oldest; slot !== NONE && out.length < limit; slot = this.#next[slot]!) {
      out.push(this.#keys[slot] as K);
    }
    return out;
  }

  /** Every value, most recently used first (a copy). */
  valuesFromNewest(): V[] {
    const out: V[] = [];
    for (let slot = this.#newest; slot !== NONE; slot = this.#prev[slot]!) out.push(this.#values[slot] as V);
    return out;
  }

  #evictOldest() {
    const slot = this.#oldest;
    const key = this.#keys[slot] as K;
    const value = this.#values[slot] as V;
    this.#remove(key, slot);
    this.#onEvict?.(value, key);
  }

  #remove(key: K, slot: number) {
    this.#unlink(slot);
    this.#index.delete(key);
    this.#keys[slot] = undefined;
    this.#values[slot] = undefined;
    this.#free.push(slot);
  }

  #allocate(): number {
    const reused = this.#free.pop();
    if (reused !== undefined) return reused;
    const slot = this.#keys.length;
    if (slot >= this.#next.length) {
      const capacity = Math.min(this.max, Math.max(FIRST_CAPACITY, this.#next.length * 2));
      const next = new Uint32Array(capacity);
      next.set(this.#next);
      this.#next = next;
      const prev = new Uint32Array(capacity);
      prev.set(this.#prev);
      this.#prev = prev;
    }
    // The lists grow by one here; their slot is written by the caller.
    this.#keys.push(undefined);
    this.#values.push(undefined);
    return slot;
  }

  #linkNewest(slot: number) {
    this.#prev[slot] = this.#newest;
    this.#next[slot] = NONE;
    if (this.#newest === NONE) this.#oldest = slot;
    else this.#next[this.#newest] = slot;
    this.#newest = slot;
  }

  #unlink(slot: number) {
    const before = this.#prev[slot]!;
    const after = this.#next[slot]!;
    if (before === NONE) this.#oldest = after;
    else this.#next[before] = after;
    if (after === NONE) this.#newest = before;
    else this.#prev[after] = before;
  }

  #toNewest(slot: number) {
    if (slot === this.#newest) return;
    this.#unlink(slot);
    this.#linkNewest(slot);
  }
}

import { describe, expect, test } from 'bun:test';
import { Lru } from '../../src/shared/lru.ts';

/** The order a plain model keeps: a list, least recently used first. */
class ModelLru {
  readonly order: string[] = [];
  readonly values = new Map<string, number>();
  readonly evicted: string[] = [];
  constructor(readonly max: number) {}
  touch(key: string) {
    this.order.splice(this.order.indexOf(key), 1);
    this.order.push(key);
  }
  get(key: string) {
    if (!this.values.has(key)) return undefined;
    this.touch(key);
    return this.values.get(key);
  }
  set(key: string, value: number) {
    if (this.values.has(key)) {
      this.values.set(key, value);
      this.touch(key);
      return;
    }
    if (this.values.size >= this.max) {
      const oldest = this.order.shift()!;
      this.values.delete(oldest);
      this.evicted.push(oldest);
    }
    this.values.set(key, value);
    this.order.push(key);
  }
  delete(key: string) {
    if (!this.values.delete(key)) return false;
    this.order.splice(this.order.indexOf(key), 1);
    return true;
  }
}

describe('Lru', () => {
  test('get makes an entry the most recent; peek does not; the bound evicts the least recent', () => {
    const evicted: [number, string][] = [];
    const lru = new Lru<string, number>(3, (value, key) => evicted.push([value, key]));
    lru.set('a', 1).set('b', 2).set('c', 3);
    expect(lru.get('a')).toBe(1);
    expect(lru.peek('b')).toBe(2);
    lru.set('d', 4);
    expect(evicted).toEqual([[2, 'b']]);
    expect(lru.has('b')).toBe(false);
    expect(lru.keysFromOldest(10)).toEqual(['c', 'a', 'd']);
    expect(lru.valuesFromNewest()).toEqual([4, 1, 3]);
    expect(lru.size).toBe(3);
  });

  test('replacing a value moves it to the most recent end and evicts nothing', () => {
    const evicted: string[] = [];
    const lru = new Lru<string, number>(2, (_v, key) => evicted.push(key));
    lru.set('a', 1).set('b', 2).set('a', 10);
    expect(evicted).toEqual([]);
    expect(lru.keysFromOldest(5)).toEqual(['b', 'a']);
    expect(lru.peek('a')).toBe(10);
  });

  test('delete frees the slot without calling onEvict; keysFromOldest is a copy the caller may delete from', () => {
    const evicted: string[] = [];
    const lru = new Lru<string, number>(4, (_v, key) => evicted.push(key));
    for (const [i, k] of ['a', 'b', 'c', 'd'].entries()) lru.set(k, i);
    for (const key of lru.keysFromOldest(2)) expect(lru.delete(key)).toBe(true);
    expect(lru.delete('a')).toBe(false);
    expect(evicted).toEqual([]);
    expect(lru.keysFromOldest(10)).toEqual(['c', 'd']);
    lru.set('e', 5).set('f', 6);
    expect(lru.size).toBe(4);
    expect(evicted).toEqual([]);
    expect(lru.keysFromOldest(3)).toEqual(['c', 'd', 'e']);
  });

  test('agrees with a list model over a long random sequence, across growth and slot reuse', () => {
    let seed = 7;
    const random = (n: number) => {
      seed = (seed * 1103515245 + 12345) & 0x7fffffff;
      return seed % n;
    };
    const evicted: string[] = [];
    const lru = new Lru<string, number>(50, (_v, key) => evicted.push(key));
    const model = new ModelLru(50);
    for (let step = 0; step < 20_000; step++) {
      const key = `k${random(120)}`;
      const op = random(10);
      if (op < 4) expect(lru.get(key)).toBe(model.get(key));
      else if (op < 8) {
        lru.set(key, step);
        model.set(key, step);
      } else expect(lru.delete(key)).toBe(model.delete(key));
      if (step % 500 === 0) {
        expect(lru.keysFromOldest(1000)).toEqual(model.order);
        expect(lru.valuesFromNewest()).toEqual(model.order.map((k) => model.values.get(k)!).reverse());
      }
    }
    expect(lru.size).toBe(model.values.size);
    expect(evicted).toEqual(model.evicted);
    expect(lru.keysFromOldest(1000)).toEqual(model.order);
  });

  test('holds its full bound past the first capacity, and clear empties it for reuse', () => {
    const lru = new Lru<number, number>(1000);
    for (let i = 0; i < 1500; i++) lru.set(i, i);
    expect(lru.size).toBe(1000);
    expect(lru.keysFromOldest(2)).toEqual([500, 501]);
    expect(lru.get(500)).toBe(500);
    expect(lru.keysFromOldest(1)).toEqual([501]);
    lru.clear();
    expect(lru.size).toBe(0);
    expect(lru.keysFromOldest(5)).toEqual([]);
    lru.set(1, 1).set(2, 2);
    expect(lru.keysFromOldest(5)).toEqual([1, 2]);
  });

  test('a bound of one keeps the newest; bad bounds are refused', () => {
    const lru = new Lru<string, number>(1);
    lru.set('a', 1).set('b', 2);
    expect(lru.keysFromOldest(5)).toEqual(['b']);
    for (const bad of [0, -1, 1.5, Number.NaN, 2 ** 32]) expect(() => new Lru(bad)).toThrow(RangeError);
  });
});

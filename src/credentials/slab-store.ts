// Where packed entries keep their bytes (packed-entry.ts, cache.ts): 256 KB slabs, filled in order and never
// rewritten. A string per packed entry would cost its allocator size class, and a few live strings scattered over
// the allocator's pages keep those pages resident after the rest are freed; a slab is one allocation, returned
// whole once nothing refers to it.
//
// A packed entry holds a PackedRef: its slab, offset and length. When a ref is released (its entry unpacked, or
// gone from the cache), its bytes stay where they are, so anyone still holding that entry reads them unchanged.
// Compaction copies the live bytes of the emptiest slabs to the newest one and repoints their refs in place; a
// slab no live ref points into is dropped from the store and collected once no released ref holds it.

export const SLAB_BYTES = 256 * 1024;
/** Longer texts are not packed (one slab holds many entries). */
export const MAX_PACKED_TEXT = SLAB_BYTES / 8;

export interface Slab {
  readonly bytes: Buffer;
  used: number;
  /** Bytes of live refs in it. */
  live: number;
  /** Every ref stored in it (released ones too, until it is compacted). */
  refs: PackedRef[];
}

export interface PackedRef {
  slab: Slab;
  offset: number;
  readonly length: number;
  /** Released: not moved by compaction, not counted as live. */
  released: boolean;
}

const slabs = new Set<Slab>();
let current: Slab | undefined;
let liveBytes = 0;

function newSlab(): Slab {
  const slab: Slab = { bytes: Buffer.allocUnsafeSlow(SLAB_BYTES), used: 0, live: 0, refs: [] };
  slabs.add(slab);
  current = slab;
  return slab;
}

/** Room for `length` bytes at the end of the newest slab (a new slab when it is full). */
function room(length: number): Slab {
  const slab = current !== undefined && current.used + length <= SLAB_BYTES ? current : newSlab();
  return slab;
}

/** Keeps `text` (every character 0-255, at most MAX_PACKED_TEXT long) in a slab. */
export function storeText(text: string): PackedRef {
  if (text.length > MAX_PACKED_TEXT) throw new Error('text too long for a slab');
  const slab = room(text.length);
  const ref: PackedRef = { slab, offset: slab.used, length: text.length, released: false };
  slab.bytes.write(text, slab.used, 'latin1');
  slab.used += text.length;
  slab.live += text.length;
  slab.refs.push(ref);
  liveBytes += text.length;
  return ref;
}

/** The text a ref holds, as one flat string of its own. */
export function readText(ref: PackedRef): string {
  return ref.slab.bytes.toString('latin1', ref.offset, ref.offset + ref.length);
}

/** Its entry no longer keeps its text here; the bytes stay readable through the ref. Once only. */
export function releaseText(ref: PackedRef): void {
  if (ref.released) return;
  ref.released = true;
  const slab = ref.slab;
  slab.live -= ref.length;
  liveBytes -= ref.length;
  if (slab.live === 0 && slab !== current) slabs.delete(slab);
}

/**
 * Copies the live refs of the emptiest slabs to the newest one while the slabs hold more than twice the live
 * bytes (and more than two slabs), moving at most `maxMoves` refs; true when more is to do.
 */
export function compact(maxMoves: number): boolean {
  let moves = 0;
  while (slabs.size > 2 && slabs.size * SLAB_BYTES > 2 * liveBytes + SLAB_BYTES) {
    let emptiest: Slab | undefined;
    for (const slab of slabs)
      if (slab !== current && (emptiest === undefined || slab.live < emptiest.live)) emptiest = slab;
    if (emptiest === undefined) return false;
    const refs = emptiest.refs;
    let i = 0;
    for (; i < refs.length; i++) {
      if (moves >= maxMoves) break;
      const ref = refs[i]!;
      if (ref.released || ref.slab !== emptiest) continue;
      const to = room(ref.length);
      emptiest.bytes.copy(to.bytes, to.used, ref.offset, ref.offset + ref.length);
      emptiest.live -= ref.length;
      ref.slab = to;
      ref.offset = to.used;
      to.used += ref.length;
      to.live += ref.length;
      to.refs.push(ref);
      moves++;
    }
    emptiest.refs = refs.slice(i);
    if (emptiest.live === 0) {
      slabs.delete(emptiest);
      emptiest.refs = [];
    }
    if (moves >= maxMoves) return true;
  }
  return false;
}

/** The store's state (tests, metrics). */
export function slabStats(): { slabs: number; liveBytes: number } {
  return { slabs: slabs.size, liveBytes };
}

// A small LZ77 coder for Latin-1 text (every character 0-255) against a fixed reference: what a cold cache entry
// (cache.ts) keeps of its token's claims and its body's text. Entries from one cluster share most of it (the
// issuer, the node, the audience, the claim and field names), so each copy from the reference costs 3 characters
// instead of up to 131; matches inside the text itself (a namespace and service account named twice) count too.
//
// Format, one op at a time: a character c < 0x80 starts a literal run of c + 1 characters, which follow; a
// character c >= 0x80 is a copy of (c & 0x7f) + MIN_MATCH characters from the window position in the next two
// characters (high, low), where the window is the reference followed by the output so far (a copy may overlap
// its own output, as in any LZ77).

const MIN_MATCH = 4;
const MAX_MATCH = 0x7f + MIN_MATCH;
const MAX_LITERAL = 0x80;
/** Window positions are two characters: the reference and the text together must fit. */
const MAX_WINDOW = 0xffff;
const HASH_BITS = 12;
/** Candidates tried per position: enough for claims-sized text, bounded for any input. */
const MAX_CHAIN = 16;

/** A reference with its 4-character hash chains, built once. */
export interface LzReference {
  readonly text: string;
  readonly bytes: Uint8Array;
  readonly head: Int32Array;
  readonly prev: Int32Array;
}

function hashAt(w: Uint8Array, i: number): number {
  const v = (w[i]! << 24) ^ (w[i + 1]! << 16) ^ (w[i + 2]! << 8) ^ w[i + 3]!;
  return Math.imul(v, 0x9e3779b1) >>> (32 - HASH_BITS);
}

function latin1(text: string): Uint8Array {
  return Buffer.from(text, 'latin1');
}

export function lzReference(text: string): LzReference {
  if (text.length > MAX_WINDOW) text = text.slice(0, MAX_WINDOW);
  const bytes = latin1(text);
  const head = new Int32Array(1 << HASH_BITS).fill(-1);
  const prev = new Int32Array(bytes.length).fill(-1);
  for (let i = 0; i + MIN_MATCH <= bytes.length; i++) {
    const h = hashAt(bytes, i);
    prev[i] = head[h]!;
    head[h] = i;
  }
  return { text, bytes, head, prev };
}

const scratch = {
  bytes: [new Uint8Array(4096), new Uint8Array(4096)],
  head: new Int32Array(1 << HASH_BITS),
  prev: new Int32Array(4096),
};

function scratchBytes(which: 0 | 1, length: number): Uint8Array {
  if (scratch.bytes[which]!.length < length) scratch.bytes[which] = new Uint8Array(length);
  return scratch.bytes[which]!;
}

function scratchPrev(length: number): Int32Array {
  if (scratch.prev.length < length) scratch.prev = new Int32Array(length);
  return scratch.prev;
}

/**
 * `text` coded against `ref`; undefined when `ref` and `text` together exceed the window (the caller keeps the
 * text as it is). Every character of `text` must be 0-255.
 */
export function lzEncode(text: string, ref: LzReference): string | undefined {
  const R = ref.bytes.length;
  const T = text.length;
  if (R + T > MAX_WINDOW) return undefined;
  // The window: the reference, then the text. The text's own positions chain on from the reference's heads, in a
  // copy (the reference is shared). Scratch arrays, reused: packing runs synchronously, one text at a time.
  const w = scratchBytes(0, R + T);
  w.set(ref.bytes, 0);
  w.set(latin1(text), R);
  const head = scratch.head;
  head.set(ref.head);
  const prev = scratchPrev(R + T);
  prev.set(ref.prev, 0);
  // At most one op character per 128 literals, three per copy of at least four.
  const out = scratchBytes(1, T + Math.ceil(T / MAX_LITERAL) + 16);
  let o = 0;
  let literalStart = R;
  const end = R + T;
  const flushLiterals = (to: number) => {
    for (let s = literalStart; s < to; s += MAX_LITERAL) {
      const n = Math.min(MAX_LITERAL, to - s);
      out[o++] = n - 1;
      out.set(w.subarray(s, s + n), o);
      o += n;
    }
  };
  let i = R;
  while (i < end) {
    let bestLength = 0;
    let bestPos = 0;
    if (i + MIN_MATCH <= end) {
      const h = hashAt(w, i);
      let candidate = head[h]!;
      const limit = Math.min(MAX_MATCH, end - i);
      for (let tries = 0; candidate >= 0 && tries < MAX_CHAIN; tries++) {
        let n = 0;
        while (n < limit && w[candidate + n] === w[i + n]) n++;
        if (n > bestLength) {
          bestLength = n;
          bestPos = candidate;
          if (n === limit) break;
        }
        candidate = prev[candidate]!;
      }
    }
    const step = bestLength >= MIN_MATCH ? bestLength : 1;
    for (let k = i; k < i + step && k + MIN_MATCH <= end; k++) {
      const h = hashAt(w, k);
      prev[k] = head[h]!;
      head[h] = k;
    }
    if (bestLength >= MIN_MATCH) {
      flushLiterals(i);
      out[o++] = 0x80 | (bestLength - MIN_MATCH);
      out[o++] = bestPos >> 8;
      out[o++] = bestPos & 0xff;
      literalStart = i + bestLength;
    }
    i += step;
  }
  flushLiterals(end);
  return Buffer.from(out.buffer, out.byteOffset, o).toString('latin1');
}

/** Decodes `coded.slice(start, end)`, which `lzEncode` made against the same reference, to `length` characters. */
export function lzDecode(
  coded: string,
  start: number,
  end: number,
  length: number,
  ref: LzReference,
): Uint8Array {
  const r = ref.text;
  const R = r.length;
  const out = new Uint8Array(length);
  let o = 0;
  let i = start;
  while (i < end) {
    const op = coded.charCodeAt(i++);
    if (op < 0x80) {
      const n = op + 1;
      if (o + n > length || i + n > end) throw new Error('packed text is corrupt');
      for (let k = 0; k < n; k++) out[o++] = coded.charCodeAt(i++);
    } else {
      const n = (op & 0x7f) + MIN_MATCH;
      const pos = (coded.charCodeAt(i) << 8) | coded.charCodeAt(i + 1);
      i += 2;
      if (o + n > length || i > end || pos >= R + o) throw new Error('packed text is corrupt');
      for (let k = 0; k < n; k++) {
        const p = pos + k;
        out[o++] = p < R ? r.charCodeAt(p) : out[p - R]!;
      }
    }
  }
  if (o !== length) throw new Error('packed text is corrupt');
  return out;
}

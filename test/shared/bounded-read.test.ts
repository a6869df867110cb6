import { describe, expect, test } from 'bun:test';
import {
  framedWithin,
  readBounded,
  readBoundedBody,
  readBoundedText,
} from '../../src/shared/bounded-read.ts';

/** A stream of `chunks` that records how far it was read and whether it was cancelled. */
function chunked(chunks: string[]) {
  const state = { pulled: 0, cancelled: false };
  const encoder = new TextEncoder();
  const stream = new ReadableStream<Uint8Array>({
    pull(controller) {
      if (state.pulled === chunks.length) return controller.close();
      controller.enqueue(encoder.encode(chunks[state.pulled++]));
    },
    cancel() {
      state.cancelled = true;
    },
  });
  return { stream, state };
}

describe('readBounded', () => {
  test('a stream within the bound is kept whole', async () => {
    const { stream } = chunked(['ab', 'cd']);
    const r = await readBounded(stream, 4);
    expect([r.bytes.toString(), r.truncated]).toEqual(['abcd', false]);
  });

  test('past the bound it keeps the first maxBytes, stops and cancels the stream', async () => {
    const { stream, state } = chunked(['abc', 'def', 'ghi', 'jkl']);
    const r = await readBounded(stream, 5);
    expect([r.bytes.toString(), r.truncated]).toEqual(['abcde', true]);
    expect(state.cancelled).toBe(true);
    expect(state.pulled).toBeLessThan(4);
  });

  test("'drain' reads to the end but keeps only maxBytes", async () => {
    const { stream, state } = chunked(['abc', 'def', 'ghi', 'jkl']);
    const r = await readBounded(stream, 5, 'drain');
    expect([r.bytes.toString(), r.truncated]).toEqual(['abcde', true]);
    expect([state.pulled, state.cancelled]).toEqual([4, false]);
  });

  test('no stream is an empty body', async () => {
    expect((await readBounded(null, 10)).bytes.byteLength).toBe(0);
  });
});

describe('readBoundedText and readBoundedBody', () => {
  const tooLarge = (): never => {
    throw new Error('too large');
  };

  test('a response within the bound is its text; past it, tooLarge throws', async () => {
    expect(await readBoundedText(new Response('héllo'), 6, tooLarge)).toBe('héllo');
    await expect(readBoundedText(new Response(chunked(['abc', 'def']).stream), 5, tooLarge)).rejects.toThrow(
      'too large',
    );
  });

  test('a declared Content-Length over the bound is refused without reading the body', async () => {
    const { stream, state } = chunked(['abc']);
    const response = new Response(stream, { headers: { 'content-length': '100' } });
    await expect(readBoundedText(response, 10, tooLarge)).rejects.toThrow('too large');
    expect(state.pulled).toBe(0);
    const request = new Request('http://x/', {
      method: 'POST',
      body: 'x',
      headers: { 'content-length': '100' },
    });
    expect(await readBoundedBody(request, 10)).toBeUndefined();
  });

  test('a request body is its bytes, or undefined past the bound', async () => {
    const post = (body: string) => new Request('http://x/', { method: 'POST', body });
    expect(new TextDecoder().decode(await readBoundedBody(post('{"a":1}'), 7))).toBe('{"a":1}');
    expect(await readBoundedBody(post('{"a":12}'), 7)).toBeUndefined();
    expect((await readBoundedBody(new Request('http://x/'), 7))?.byteLength).toBe(0);
  });
});

describe('framedWithin: read whole only what the HTTP client frames within the bound, undecoded', () => {
  const cases: Array<[string, Record<string, string>, boolean]> = [
    ['a plain length within the bound', { 'content-length': '100' }, true],
    ['a length at the bound', { 'content-length': '128' }, true],
    ['a length over the bound', { 'content-length': '129' }, false],
    ['no length (chunked, or to the close)', {}, false],
    ['a list of lengths', { 'content-length': '10, 10' }, false],
    ['a malformed length', { 'content-length': '1e2' }, false],
    ['a negative length', { 'content-length': '-1' }, false],
    ['a length of 16 digits', { 'content-length': '0000000000000001' }, false],
    ['a gzip body', { 'content-length': '100', 'content-encoding': 'gzip' }, false],
    [
      'a length and a chunked transfer coding',
      { 'content-length': '10', 'transfer-encoding': 'chunked' },
      false,
    ],
    ['an identity coding', { 'content-length': '100', 'content-encoding': 'Identity' }, true],
  ];
  for (const [what, headers, whole] of cases) {
    test(`${what}: ${whole ? 'whole' : 'through the stream'}`, () => {
      expect(framedWithin(new Headers(headers), 128)).toBe(whole);
    });
  }
});

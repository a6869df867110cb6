// Reading a body or a child's output with a byte bound: a misbehaving server, client or process cannot grow
// our memory. One reader; the wrappers say what past the bound means for their caller.

export interface BoundedBytes {
  /** What was kept: all of it, or the first maxBytes when the stream held more. */
  readonly bytes: Buffer;
  /** True when the stream held more than maxBytes. */
  readonly truncated: boolean;
}

/**
 * Reads `stream`, keeping at most `maxBytes`. Past the bound, 'cancel' (the default) stops and cancels the
 * stream; 'drain' reads on to its end and drops the rest (a child's pipe must be emptied or the child blocks).
 */
export async function readBounded(
  stream: ReadableStream<Uint8Array> | null | undefined,
  maxBytes: number,
  past: 'cancel' | 'drain' = 'cancel',
): Promise<BoundedBytes> {
  if (!stream) return { bytes: Buffer.alloc(0), truncated: false };
  const reader = stream.getReader();
  const chunks: Uint8Array[] = [];
  let size = 0;
  let truncated = false;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    if (truncated) continue;
    if (size + value.byteLength > maxBytes) {
      truncated = true;
      chunks.push(value.subarray(0, maxBytes - size));
      size = maxBytes;
      if (past === 'cancel') {
        await reader.cancel().catch(() => {});
        break;
      }
      continue;
    }
    chunks.push(value);
    size += value.byteLength;
  }
  return { bytes: Buffer.concat(chunks, size), truncated };
}

/** Whether a declared Content-Length is already over the bound (then nothing needs reading). */
export function declaresMoreThan(headers: Headers, maxBytes: number): boolean {
  return Number(headers.get('content-length') ?? '0') > maxBytes;
}

/**
 * Whether the runtime's HTTP client hands over exactly the declared bytes and no more than maxBytes, so the body
 * can be read whole (`response.arrayBuffer()`) instead of through the stream reader: one plain decimal Content-Length
 * within the bound (Bun's fetch frames the body by it and drops what a server sends past it), and no content
 * coding (the runtime decodes gzip, br and the like itself: a few KB can decode to gigabytes, which only the
 * stream reader stops at the bound), and no Transfer-Encoding. A list ("10, 10"), a malformed value, a coded or a
 * chunked body goes the stream's way.
 */
export function framedWithin(headers: Headers, maxBytes: number): boolean {
  const length = headers.get('content-length');
  if (length === null || length.length > 15 || !/^\d+$/.test(length)) return false;
  // With a Transfer-Encoding too, Bun's fetch reads chunks and ignores the length (test/eks-auth/transport.test.ts).
  if (headers.has('transfer-encoding')) return false;
  const coding = headers.get('content-encoding');
  return Number(length) <= maxBytes && (coding === null || coding.toLowerCase() === 'identity');
}

/** A response body as UTF-8, at most maxBytes; calls tooLarge (which must throw) beyond it. */
export async function readBoundedText(
  response: Response,
  maxBytes: number,
  tooLarge: () => never,
): Promise<string> {
  if (declaresMoreThan(response.headers, maxBytes)) {
    await response.body?.cancel();
    tooLarge();
  }
  const { bytes, truncated } = await readBounded(response.body, maxBytes);
  if (truncated) tooLarge();
  return bytes.toString('utf8');
}

/** A request body's bytes, or undefined when it is larger than maxBytes. */
export async function readBoundedBody(request: Request, maxBytes: number): Promise<Uint8Array | undefined> {
  if (declaresMoreThan(request.headers, maxBytes)) return undefined;
  const { bytes, truncated } = await readBounded(request.body, maxBytes);
  return truncated ? undefined : bytes;
}

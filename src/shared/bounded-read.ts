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

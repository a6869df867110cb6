// Reads an HTTP response body with a byte bound: a misbehaving server cannot grow our memory.

/** Reads at most maxBytes of the body as UTF-8; calls tooLarge (which must throw) beyond it. */
export async function readBoundedText(
  response: Response,
  maxBytes: number,
  tooLarge: () => never,
): Promise<string> {
  const declared = Number(response.headers.get('content-length') ?? '0');
  if (declared > maxBytes) {
    await response.body?.cancel();
    tooLarge();
  }
  const reader = response.body?.getReader();
  if (!reader) return '';
  const chunks: Uint8Array[] = [];
  let total = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    total += value.byteLength;
    if (total > maxBytes) {
      await reader.cancel();
      tooLarge();
    }
    chunks.push(value);
  }
  return Buffer.concat(chunks).toString('utf8');
}

// JSON from a request body already read with its bound (shared/bounded-read.ts).

/** Parses JSON from bytes; undefined when it is not JSON. */
export function parseJsonBytes(bytes: Uint8Array): { value: unknown } | undefined {
  try {
    return { value: JSON.parse(new TextDecoder().decode(bytes)) };
  } catch {
    return undefined;
  }
}

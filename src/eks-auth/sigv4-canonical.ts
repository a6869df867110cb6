// SigV4 canonical-request pieces and hashes: the agent's signer builds them from the request it sends, the
// emulator's verifier rebuilds them from the request exactly as it arrived. Bun's native hasher rather than
// node:crypto: an agent that signs never loads node:crypto for it (bench/footprint.bench.ts).

/** RFC 3986 encoding as SigV4 wants it: everything but unreserved characters, uppercase hex. */
export function uriEncode(value: string): string {
  return encodeURIComponent(value).replace(
    /[!'()*]/g,
    (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`,
  );
}

/**
 * Canonical URI for every service but S3: dot segments and empty segments removed, then each segment of the
 * path *as sent* (already percent-encoded once) is encoded again, which is what the AWS signers do.
 */
export function canonicalUri(rawPath: string): string {
  const out: string[] = [];
  for (const segment of rawPath.split('/')) {
    if (segment === '' || segment === '.') continue;
    if (segment === '..') out.pop();
    else out.push(uriEncode(segment));
  }
  const trailing = rawPath.length > 1 && rawPath.endsWith('/') && out.length > 0 ? '/' : '';
  return `/${out.join('/')}${trailing}`;
}

function decodeQueryPart(part: string): string {
  try {
    return decodeURIComponent(part.replace(/\+/g, ' '));
  } catch {
    return part;
  }
}

/** Parameters sorted by encoded name, then by encoded value. */
export function canonicalQuery(rawQuery: string): string {
  if (rawQuery === '') return '';
  const pairs = rawQuery
    .split('&')
    .filter((p) => p !== '')
    .map((p) => {
      const eq = p.indexOf('=');
      const name = eq === -1 ? p : p.slice(0, eq);
      const value = eq === -1 ? '' : p.slice(eq + 1);
      return [uriEncode(decodeQueryPart(name)), uriEncode(decodeQueryPart(value))] as const;
    });
  pairs.sort((a, b) => (a[0] === b[0] ? (a[1] < b[1] ? -1 : 1) : a[0] < b[0] ? -1 : 1));
  return pairs.map(([n, v]) => `${n}=${v}`).join('&');
}

/** `name:value\n` for exactly the signed headers; values trimmed with inner runs of spaces collapsed. */
export function canonicalHeaders(
  signedHeaders: readonly string[],
  get: (name: string) => string | null,
): string {
  let out = '';
  for (const name of signedHeaders) {
    const value = get(name) ?? '';
    out += `${name}:${value.trim().replace(/\s+/g, ' ')}\n`;
  }
  return out;
}

export function sha256Hex(data: string | Uint8Array): string {
  return new Bun.CryptoHasher('sha256').update(data).digest('hex');
}

export function hmac(key: string | Uint8Array, data: string): Buffer {
  return new Bun.CryptoHasher('sha256', key).update(data).digest();
}

export function hmacHex(key: string | Uint8Array, data: string): string {
  return new Bun.CryptoHasher('sha256', key).update(data).digest('hex');
}

export interface CanonicalRequestParts {
  method: string;
  rawPath: string;
  rawQuery: string;
  signedHeaders: readonly string[];
  getHeader: (name: string) => string | null;
  payloadHash: string;
}

export function canonicalRequest(parts: CanonicalRequestParts): string {
  return [
    parts.method.toUpperCase(),
    canonicalUri(parts.rawPath),
    canonicalQuery(parts.rawQuery),
    canonicalHeaders(parts.signedHeaders, parts.getHeader),
    parts.signedHeaders.join(';'),
    parts.payloadHash,
  ].join('\n');
}

// One spelling per token. The last base64url character of a JWS signature carries 2 or 4 bits that encode
// nothing (a signature of 3n+1 bytes leaves 4 unused bits, 3n+2 leaves 2), and lenient decoders ignore them:
// an RS256 or ES256 token has 16 spellings that decode to the same signature. Claims-mode caches, single
// flights and failure memory are keyed by the canonical spelling (unused bits zero), so the variants share
// one entry and one EKS Auth call. Header and payload need no such care: the signature covers their exact
// characters, so a respelt header or payload is a different (invalid) token.

const ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';
const VALUES = new Int8Array(128).fill(-1);
for (let i = 0; i < ALPHABET.length; i++) VALUES[ALPHABET.charCodeAt(i)] = i;

/**
 * The token with its signature's unused trailing bits cleared. Returns the same string (no allocation) when
 * it is already canonical or is not shaped like a JWS; never throws.
 */
export function canonicalToken(token: string): string {
  const lastDot = token.lastIndexOf('.');
  if (lastDot < 0) return token;
  const remainder = (token.length - lastDot - 1) % 4;
  // 2 trailing characters carry 12 bits for 1 byte (4 unused); 3 carry 18 bits for 2 bytes (2 unused).
  const unusedMask = remainder === 2 ? 0x0f : remainder === 3 ? 0x03 : 0;
  if (unusedMask === 0) return token;
  const code = token.charCodeAt(token.length - 1);
  const value = code < 128 ? VALUES[code]! : -1;
  if (value < 0 || (value & unusedMask) === 0) return token;
  return token.slice(0, -1) + ALPHABET[value & ~unusedMask];
}

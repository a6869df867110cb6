// fast-check generators of hostile Authorization values, built around one genuine token so that many of
// them are near misses (truncated, re-signed with alg none, claims swapped) rather than obvious garbage.
import fc from 'fast-check';

const b64 = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url');
const BASE64URL_CHARS = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_'.split('');

/** A deeply nested JSON value that stays under the agent's token length bound. */
function nestedBomb(depth: number, open: string, close: string): string {
  return `{"sub":${open.repeat(depth)}1${close.repeat(depth)}}`;
}

/** Values a header may carry through fetch (visible latin1, no CR/LF/NUL). */
export const headerSafeToken = (genuine: string): fc.Arbitrary<string> => {
  const [header = '', payload = '', signature = ''] = genuine.split('.');
  const claims = JSON.parse(Buffer.from(payload, 'base64url').toString('utf8')) as Record<string, unknown>;
  const segment = fc.string({ unit: fc.constantFrom(...BASE64URL_CHARS), maxLength: 300 });
  const claimValue = fc.oneof(
    fc.integer(),
    fc.double(),
    fc.string({ maxLength: 50 }),
    fc.constant(null),
    fc.array(fc.integer(), { maxLength: 5 }),
    fc.constant(Number.MAX_SAFE_INTEGER),
    fc.constant(-1),
  );
  return fc.oneof(
    // Plain garbage and JWT-shaped garbage.
    fc.string({ minLength: 1, maxLength: 200 }).filter((v) => v.trim() === v && !/[^\x21-\x7e ]/.test(v)),
    fc.tuple(segment, segment, segment).map(([a, b, c]) => `${a}.${b}.${c}`),
    // Truncations and bad base64 of the genuine token.
    fc.integer({ min: 1, max: genuine.length - 1 }).map((n) => genuine.slice(0, n)),
    fc
      .tuple(
        fc.integer({ min: 0, max: genuine.length - 1 }),
        fc.constantFrom('!', '%', '*', '=', '~', '+', '/'),
      )
      .map(([i, ch]) => genuine.slice(0, i) + ch + genuine.slice(i + 1)),
    // Too many or too few segments.
    fc.constantFrom(
      `${genuine}.${signature}`,
      `${header}.${payload}`,
      `${header}..${signature}`,
      `..`,
      `.${payload}.`,
    ),
    // alg none and other algorithms over the genuine claims, with or without a signature.
    fc
      .tuple(fc.constantFrom('none', 'None', 'HS256', 'RS256', 'ES256', 'PS512', ''), fc.boolean())
      .map(([alg, signed]) => `${b64({ alg, typ: 'JWT' })}.${payload}.${signed ? signature : ''}`),
    // Claims changed (unsigned, so only a signature check can catch a plausible one).
    fc
      .tuple(fc.constantFrom('exp', 'nbf', 'iat', 'iss', 'aud', 'sub', 'kubernetes.io'), claimValue)
      .map(([k, v]) => `${header}.${b64({ ...claims, [k]: v })}.${signature}`),
    // JSON bombs in the claims: deep nesting, within the length bound.
    fc
      .tuple(fc.integer({ min: 100, max: 4_000 }), fc.constantFrom(['[', ']'], ['{"a":', '}']))
      .map(
        ([depth, [o, c]]) =>
          `${header}.${Buffer.from(nestedBomb(depth, o!, c!)).toString('base64url')}.${signature}`,
      ),
    // Huge: around and beyond the agent's and the server's bounds.
    fc.integer({ min: 8_000, max: 40_000 }).map((n) => genuine + 'A'.repeat(n)),
    // "Bearer" prefix and surrounding text SDKs never send.
    fc.constantFrom(`Bearer ${genuine.slice(0, -2)}`, `${genuine.slice(0, -2)}, x`, `Basic ${payload}`),
  );
};

/** Values only a raw socket can send: unicode, control characters, header-folding tricks. */
export const rawOnlyToken = (genuine: string): fc.Arbitrary<string> =>
  fc.oneof(
    fc.string({ unit: 'grapheme', minLength: 1, maxLength: 80 }),
    fc.string({ unit: 'binary', minLength: 1, maxLength: 80 }),
    fc.constantFrom(
      `${genuine.slice(0, -4)}\u00e9\u00e9`,
      `${genuine.slice(0, -4)}\u2028\u2028`,
      `${genuine.slice(0, -3)}\x00ab`,
      `${genuine.slice(0, -3)}\x7fab`,
      `${genuine.slice(0, -3)}\r\n folded`,
      `${genuine.slice(0, -3)}\tx`,
    ),
  );

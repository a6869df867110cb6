// How a cold cache entry (cache.ts) keeps its text: its body and (keyed by its token) its token's rest in one
// Latin-1 string of about half their size. The random parts are kept as bytes, 3 for every 4 base64 characters:
// the token's signature and the body's session token. The rest, the token's claims and the body's other
// fields, is coded against a reference (reference-lz.ts), the first such text packed in this process with its
// access key's values blanked (it keeps no credentials): entries from one cluster share the issuer, the node,
// the audience and every claim and field name.
//
// Packing is exact or it does not happen: `pack` unpacks what it made and compares, and returns undefined for
// text it cannot keep exactly (a character outside printable ASCII, a part too long), which stays as it was.
//
// Layout: [kind] [coded length u16] [plain length u16] [claims length u16] [rest mode] [signature length u16]
// [body split u16] [session-token mode] [session-token length u16], then the coded text, the signature's bytes
// and the session token's bytes. The plain text is the claims (or the raw rest), then the body with its session
// token cut out at the split.
import { type LzReference, lzDecode, lzEncode, lzReference } from './reference-lz.ts';

const KIND_BODY = 1;
const KIND_REST_AND_BODY = 2;
const HEADER_LENGTH = 15;
const MAX_PART = 0xffff;
const TOKEN_FIELD = '"Token":"';
const PRINTABLE_ASCII = /^[\x20-\x7e]*$/;
/** The reference is the first packed text up to this length (one per process, never replaced). */
const MAX_REFERENCE = 4096;

let reference: LzReference | undefined;

/**
 * The reference made from a first text: without its access key's values. The reference lives as long as the
 * process, long after that entry left the cache; random values match nothing in other entries anyway.
 */
function referenceOf(text: string): string {
  return text.replace(/("(?:AccessKeyId|SecretAccessKey)":")[^"]*/g, '$1');
}

/** Whether `text` is the packed form (a body is JSON and starts with '{'); tests read the kind through it. */
export function isPacked(text: string): boolean {
  const kind = text.charCodeAt(0);
  return kind === KIND_BODY || kind === KIND_REST_AND_BODY;
}

function u16(n: number): string {
  return String.fromCharCode(n >> 8, n & 0xff);
}

function readU16(text: string, at: number): number {
  return (text.charCodeAt(at) << 8) | text.charCodeAt(at + 1);
}

/** The value of each base64 character (both alphabets: '+' and '-' are 62, '/' and '_' 63); -1 for others. */
const SEXTET = new Int8Array(128).fill(-1);
for (let i = 0; i < 64; i++)
  SEXTET['ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/'.charCodeAt(i)] = i;
SEXTET[45] = 62;
SEXTET[95] = 63;

/**
 * Whether `part` is the one spelling of some bytes in `encoding`: only that alphabet's characters, a length
 * base64 can end on, the unused bits of the last character zero, and padding exactly where base64 needs it
 * (none in base64url). Checked by characters, so no copy is made.
 */
export function isExact(part: string, encoding: 'base64' | 'base64url'): boolean {
  let n = part.length;
  if (encoding === 'base64') {
    if (n % 4 !== 0) return false;
    if (part.charCodeAt(n - 1) === 61) n -= part.charCodeAt(n - 2) === 61 ? 2 : 1;
  }
  if (n === 0 || n % 4 === 1) return false;
  const url = encoding === 'base64url';
  for (let i = 0; i < n; i++) {
    const c = part.charCodeAt(i);
    if (c >= 128 || SEXTET[c]! < 0) return false;
    // '+' and '/' belong to base64 only, '-' and '_' to base64url only.
    if (url ? c === 43 || c === 47 : c === 45 || c === 95) return false;
  }
  // The last character's bits past the last whole byte must be zero.
  const last = SEXTET[part.charCodeAt(n - 1)]!;
  const unusedBits = n % 4 === 2 ? 4 : n % 4 === 3 ? 2 : 0;
  return (last & ((1 << unusedBits) - 1)) === 0;
}

/** Bytes of a base64 (or base64url) part when it spells exactly those bytes; undefined otherwise. */
function exactBytes(part: string, encoding: 'base64' | 'base64url'): Buffer | undefined {
  if (!isExact(part, encoding)) return undefined;
  const bytes = Buffer.from(part, encoding);
  return bytes.length <= MAX_PART ? bytes : undefined;
}

interface Parts {
  /** The claims' bytes, or the raw rest. */
  claims: string;
  signature: Buffer | undefined;
  bodyHead: string;
  sessionToken: Buffer | undefined;
  bodyTail: string;
}

function split(rest: string | undefined, body: string): Parts | undefined {
  if (!PRINTABLE_ASCII.test(body) || (rest !== undefined && !PRINTABLE_ASCII.test(rest))) return undefined;
  let claims = '';
  let signature: Buffer | undefined;
  if (rest !== undefined) {
    const dot = rest.indexOf('.');
    const payload =
      dot > 0 && rest.indexOf('.', dot + 1) < 0 ? exactBytes(rest.slice(0, dot), 'base64url') : undefined;
    signature = payload === undefined ? undefined : exactBytes(rest.slice(dot + 1), 'base64url');
    claims = payload !== undefined && signature !== undefined ? payload.toString('latin1') : rest;
  }
  const field = body.indexOf(TOKEN_FIELD);
  const start = field + TOKEN_FIELD.length;
  const end = field < 0 ? -1 : body.indexOf('"', start);
  const sessionToken = end < 0 ? undefined : exactBytes(body.slice(start, end), 'base64');
  return sessionToken === undefined
    ? { claims, signature, bodyHead: body, sessionToken, bodyTail: '' }
    : { claims, signature, bodyHead: body.slice(0, start), sessionToken, bodyTail: body.slice(end) };
}

/**
 * The packed form of `body` and, for an entry keyed by its token, its `rest` (kept-token.ts); undefined when
 * they cannot be packed exactly.
 */
export function pack(rest: string | undefined, body: string): string | undefined {
  const parts = split(rest, body);
  if (parts === undefined) return undefined;
  const { claims, signature, bodyHead, sessionToken, bodyTail } = parts;
  const plain = claims + bodyHead + bodyTail;
  if (plain.length > MAX_PART || bodyHead.length > MAX_PART) return undefined;
  reference ??= lzReference(referenceOf(plain.slice(0, MAX_REFERENCE)));
  const coded = lzEncode(plain, reference);
  if (coded === undefined || coded.length > MAX_PART) return undefined;
  const packed =
    String.fromCharCode(rest === undefined ? KIND_BODY : KIND_REST_AND_BODY) +
    u16(coded.length) +
    u16(plain.length) +
    u16(claims.length) +
    String.fromCharCode(signature === undefined ? 0 : 1) +
    u16(signature?.length ?? 0) +
    u16(bodyHead.length) +
    String.fromCharCode(sessionToken === undefined ? 0 : 1) +
    u16(sessionToken?.length ?? 0) +
    coded +
    (signature?.toString('latin1') ?? '') +
    (sessionToken?.toString('latin1') ?? '');
  // One decode checks both (the packed text is written to a slab by the caller, so no copy is kept here).
  const back = unpackBoth(packed);
  if (back.body !== body || back.rest !== rest) return undefined;
  return packed;
}

interface Header {
  codedLength: number;
  plainLength: number;
  claimsLength: number;
  jwt: boolean;
  signatureLength: number;
  bodySplit: number;
  hasSessionToken: boolean;
  sessionTokenLength: number;
}

function header(packed: string): Header {
  return {
    codedLength: readU16(packed, 1),
    plainLength: readU16(packed, 3),
    claimsLength: readU16(packed, 5),
    jwt: packed.charCodeAt(7) === 1,
    signatureLength: readU16(packed, 8),
    bodySplit: readU16(packed, 10),
    hasSessionToken: packed.charCodeAt(12) === 1,
    sessionTokenLength: readU16(packed, 13),
  };
}

function plainOf(packed: string, h: Header): Uint8Array {
  if (reference === undefined) throw new Error('packed text without a reference');
  return lzDecode(packed, HEADER_LENGTH, HEADER_LENGTH + h.codedLength, h.plainLength, reference);
}

function latin1Bytes(packed: string, start: number, length: number): Buffer {
  return Buffer.from(packed.slice(start, start + length), 'latin1');
}

function bodyOf(packed: string, h: Header, plain: Uint8Array): string {
  const head = plain.subarray(h.claimsLength, h.claimsLength + h.bodySplit);
  const tail = plain.subarray(h.claimsLength + h.bodySplit);
  if (!h.hasSessionToken) return Buffer.from(head).toString('latin1') + Buffer.from(tail).toString('latin1');
  const at = HEADER_LENGTH + h.codedLength + h.signatureLength;
  const sessionToken = latin1Bytes(packed, at, h.sessionTokenLength).toString('base64');
  const out = Buffer.allocUnsafe(head.length + sessionToken.length + tail.length);
  out.set(head, 0);
  out.write(sessionToken, head.length, 'latin1');
  out.set(tail, head.length + sessionToken.length);
  return out.toString('latin1');
}

function restOf(packed: string, h: Header, plain: Uint8Array): string {
  if (packed.charCodeAt(0) !== KIND_REST_AND_BODY) throw new Error('packed text holds no token');
  const claims = plain.subarray(0, h.claimsLength);
  if (!h.jwt) return Buffer.from(claims).toString('latin1');
  const payload = Buffer.from(claims).toString('base64url');
  const signature = latin1Bytes(packed, HEADER_LENGTH + h.codedLength, h.signatureLength).toString(
    'base64url',
  );
  const out = Buffer.allocUnsafe(payload.length + 1 + signature.length);
  out.write(payload, 0, 'latin1');
  out[payload.length] = 46;
  out.write(signature, payload.length + 1, 'latin1');
  return out.toString('latin1');
}

/** The body a packed string holds, as one flat string. */
export function unpackBody(packed: string): string {
  const h = header(packed);
  return bodyOf(packed, h, plainOf(packed, h));
}

/** The token's rest a packed string holds (KIND_REST_AND_BODY only), as one flat string. */
export function unpackRest(packed: string): string {
  if (packed.charCodeAt(0) !== KIND_REST_AND_BODY) throw new Error('packed text holds no token');
  const h = header(packed);
  return restOf(packed, h, plainOf(packed, h));
}

/** The rest (KIND_REST_AND_BODY; undefined for KIND_BODY) and the body a packed string holds, decoded once. */
export function unpackBoth(packed: string): { rest: string | undefined; body: string } {
  const h = header(packed);
  const plain = plainOf(packed, h);
  return {
    rest: packed.charCodeAt(0) === KIND_REST_AND_BODY ? restOf(packed, h, plain) : undefined,
    body: bodyOf(packed, h, plain),
  };
}

/** The length of the rest a packed string holds (KIND_REST_AND_BODY), read from its header without decoding. */
export function packedRestLength(packed: string): number {
  const h = header(packed);
  // Unpadded base64url: 4 characters per 3 bytes, and 2 or 3 for the last 1 or 2.
  const b64 = (n: number) => Math.ceil((n * 4) / 3);
  return h.jwt ? b64(h.claimsLength) + 1 + b64(h.signatureLength) : h.claimsLength;
}

/** The reference's text, once made (tests). */
export function referenceText(): string | undefined {
  return reference?.text;
}

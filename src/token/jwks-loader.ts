// Reads an issuer's signing keys once: from a JWKS file, a JWKS URL, or OIDC discovery of an issuer.
//
// Every read is bounded (time and bytes) and keeps only public signing keys, stripped to their public
// members, because the set is copied to worker threads and must never carry private material.

import { readBoundedText } from '../shared/bounded-read.ts';
import { fsPromises } from '../shared/builtins.ts';
import type { PublicJwk } from './verify-signature.ts';

/** A JWKS larger than this is refused; real issuers publish a few keys in a few KB. */
export const MAX_JWKS_BYTES = 1024 * 1024;
/** More keys than this is not a signing-key set; the excess is ignored. */
export const MAX_JWKS_KEYS = 64;

const PUBLIC_MEMBERS = ['kty', 'kid', 'alg', 'use', 'crv', 'n', 'e', 'x', 'y'] as const;
const SIGNING_KEY_TYPES = new Set(['RSA', 'EC', 'OKP']);

export class JwksLoadError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'JwksLoadError';
  }
}

function tooLarge(what: string): never {
  throw new JwksLoadError(`${what} is larger than ${MAX_JWKS_BYTES} bytes`);
}

/** GETs a JSON document with a timeout and a size bound. */
export async function fetchJson(url: string, timeoutMs: number, what: string): Promise<unknown> {
  let response: Response;
  try {
    response = await fetch(url, {
      signal: AbortSignal.timeout(timeoutMs),
      headers: { accept: 'application/json' },
    });
  } catch (err) {
    const timedOut = err instanceof Error && err.name === 'TimeoutError';
    throw new JwksLoadError(timedOut ? `${what} timed out after ${timeoutMs} ms` : `${what} is unreachable`, {
      cause: err,
    });
  }
  if (!response.ok) {
    await response.body?.cancel();
    throw new JwksLoadError(`${what} answered HTTP ${response.status}`);
  }
  const text = await readBoundedText(response, MAX_JWKS_BYTES, () => tooLarge(what));
  try {
    return JSON.parse(text);
  } catch (err) {
    throw new JwksLoadError(`${what} is not valid JSON`, { cause: err });
  }
}

/** Signing keys of a key set; `ignored` counts usable signing keys past MAX_JWKS_KEYS (warned at load). */
export type SigningKeys = PublicJwk[] & { ignored?: number };

/** Keeps the public signing keys of a JWKS document. Throws when none is usable. */
export function parseJwks(doc: unknown, what: string): SigningKeys {
  const keys = (doc as { keys?: unknown } | null)?.keys;
  if (!Array.isArray(keys)) throw new JwksLoadError(`${what} has no keys array`);
  const usable: SigningKeys = [];
  let ignored = 0;
  for (const raw of keys) {
    if (typeof raw !== 'object' || raw === null) continue;
    const key = raw as Record<string, unknown>;
    // Symmetric ('oct') and encryption keys can never verify a service-account token.
    if (!SIGNING_KEY_TYPES.has(key['kty'] as string)) continue;
    if (key['use'] !== undefined && key['use'] !== 'sig') continue;
    // Past the bound the rest is only counted (the array itself is bounded by MAX_JWKS_BYTES).
    if (usable.length >= MAX_JWKS_KEYS) {
      ignored++;
      continue;
    }
    const clean: Record<string, string> = {};
    for (const member of PUBLIC_MEMBERS) {
      const value = key[member];
      if (typeof value === 'string') clean[member] = value;
    }
    usable.push(clean as unknown as PublicJwk);
  }
  if (usable.length === 0) throw new JwksLoadError(`${what} has no usable signing keys`);
  if (ignored > 0) usable.ignored = ignored;
  return usable;
}

function trimSlash(url: string): string {
  return url.endsWith('/') ? url.slice(0, -1) : url;
}

/** OIDC discovery: the configured issuer's document names its jwks_uri. */
export async function discoverJwksUri(issuer: string, timeoutMs: number): Promise<string> {
  const doc = (await fetchJson(
    `${trimSlash(issuer)}/.well-known/openid-configuration`,
    timeoutMs,
    'issuer discovery document',
  )) as { issuer?: unknown; jwks_uri?: unknown } | null;
  // OpenID Connect Discovery 4.3: the document must name the issuer it was fetched for.
  if (typeof doc?.issuer !== 'string' || trimSlash(doc.issuer) !== trimSlash(issuer)) {
    throw new JwksLoadError('issuer discovery document names a different issuer');
  }
  if (typeof doc.jwks_uri !== 'string') throw new JwksLoadError('issuer discovery document has no jwks_uri');
  try {
    const uri = new URL(doc.jwks_uri);
    if (uri.protocol !== 'https:' && uri.protocol !== 'http:') throw new Error('not http(s)');
    return uri.href;
  } catch (err) {
    throw new JwksLoadError('issuer discovery document has an invalid jwks_uri', { cause: err });
  }
}

export async function loadJwksUrl(url: string, timeoutMs: number): Promise<SigningKeys> {
  return parseJwks(await fetchJson(url, timeoutMs, 'JWKS endpoint'), 'JWKS endpoint');
}

export async function loadJwksFile(path: string): Promise<SigningKeys> {
  let text: string;
  try {
    const { readFile } = fsPromises();
    const bytes = await readFile(path);
    if (bytes.byteLength > MAX_JWKS_BYTES)
      throw new JwksLoadError(`JWKS file is larger than ${MAX_JWKS_BYTES} bytes`);
    text = bytes.toString('utf8');
  } catch (err) {
    if (err instanceof JwksLoadError) throw err;
    throw new JwksLoadError('JWKS file is unreadable', { cause: err });
  }
  try {
    return parseJwks(JSON.parse(text), 'JWKS file');
  } catch (err) {
    if (err instanceof JwksLoadError) throw err;
    throw new JwksLoadError('JWKS file is not valid JSON', { cause: err });
  }
}

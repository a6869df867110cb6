// How a token-keyed entry keeps its token: the header segment, which every token signed with one key shares, as
// one pooled string, and the rest (claims and signature) as a string of its own, which is also the entry's index
// key. A kept string costs its allocator size class, not its length (README, footprint (4)): a ~1,056-character
// token costs ~1,350 bytes, the same token without its ~104-character header ~1,080.
//
// The rest is copied when kept: a slice of the request's token would keep the whole token's characters alive
// (JavaScriptCore substrings share their base string), costing more than the token itself.

/** Distinct headers pooled: one per signing key and algorithm; past this, a header is kept by its entry alone. */
export const MAX_POOLED_HEADERS = 16;

const pooled = new Map<string, string>();

export interface KeptToken {
  /** The header segment (before the first dot), pooled; undefined when the token has no dot. */
  readonly header: string | undefined;
  /** Everything after the first dot (the whole token when it has none), in a string of its own. */
  readonly rest: string;
}

/** Copies `text` into a string of its own (not a substring sharing a larger string's characters). */
function ownCopy(text: string): string {
  return JSON.parse(JSON.stringify(text)) as string;
}

function pooledHeader(header: string): string {
  const known = pooled.get(header);
  if (known !== undefined) return known;
  const own = ownCopy(header);
  // Only tokens EKS Auth accepted get here (entries are made from its answers), and keys rotate rarely; the
  // oldest header makes room, and entries that hold it keep it.
  if (pooled.size >= MAX_POOLED_HEADERS) pooled.delete(pooled.keys().next().value as string);
  pooled.set(own, own);
  return own;
}

export function keepToken(token: string): KeptToken {
  const dot = token.indexOf('.');
  if (dot < 0) return { header: undefined, rest: token };
  return { header: pooledHeader(token.slice(0, dot)), rest: ownCopy(token.slice(dot + 1)) };
}

/** The index key of a token-keyed entry for `token` (a slice for lookups; not kept). */
export function restOf(token: string): string {
  const dot = token.indexOf('.');
  return dot < 0 ? token : token.slice(dot + 1);
}

/**
 * Whether `token` is the token kept as `header` and `rest`. When `rest` is already known to equal `token`'s own
 * rest (a lookup by it found the entry), `headerMatches` is the cheaper check.
 */
export function tokenMatches(token: string, header: string | undefined, rest: string): boolean {
  if (header === undefined) return token === rest;
  return (
    token.length === header.length + 1 + rest.length &&
    token.charCodeAt(header.length) === 46 &&
    token.startsWith(header) &&
    token.endsWith(rest)
  );
}

/**
 * Whether `token`, whose first dot is at `dot` (-1: none), has the kept `header`, given that its rest equals the
 * kept rest (a lookup by the rest found the entry).
 */
export function headerMatches(token: string, dot: number, header: string | undefined): boolean {
  return header === undefined ? dot < 0 : header.length === dot && token.startsWith(header);
}

/** Pooled headers (tests). */
export function pooledHeaderCount(): number {
  return pooled.size;
}

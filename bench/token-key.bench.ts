// What finding an entry by a pod's token costs when the cache key is not the token string (README, footprint):
// today's Map lookup by a fresh 1 KB header string against a SHA-256 digest key, a 32-bit hash plus a byte compare
// with the token kept as bytes, and the design measured on hub branch footprint/token-bytes-exact (a seeded
// xxHash32, the tokens side by side in one slab, an exact compare). Each lookup starts from a fresh string, as a
// request's header is; the cost of making that string is measured alone and subtracted.
// Usage: bun bench/token-key.bench.ts   (prints ns per lookup; wrap it in flock /tmp/bench.lock)

import { createCredentialCache } from '../src/credentials/cache.ts';
import { createEntry } from '../src/credentials/entry.ts';
import { Lru } from '../src/shared/lru.ts';

const TOKENS = 1000;
const ROUNDS = 300_000;
const base = `eyJhbGciOiJSUzI1NiIsImtpZCI6ImFiYyJ9.${'x'.repeat(700)}.${'y'.repeat(342)}`;
const tokens = Array.from({ length: TOKENS }, (_, i) => `${base.slice(0, -6)}${100_000 + i}`);
const headerBytes = tokens.map((t) => Buffer.from(t, 'latin1'));
/** A fresh string per call, as Bun makes one for each request's Authorization header. */
const fresh = (i: number) => headerBytes[i % TOKENS]!.toString('latin1');

function nsPerCall(f: (token: string) => unknown): number {
  let sink: unknown;
  for (let i = 0; i < ROUNDS / 3; i++) sink = f(fresh(i));
  const t0 = performance.now();
  for (let i = 0; i < ROUNDS; i++) sink = fresh(i);
  const making = performance.now() - t0;
  const t1 = performance.now();
  for (let i = 0; i < ROUNDS; i++) sink = f(fresh(i));
  if (sink === Symbol.for('never')) console.log(sink);
  return Math.round(((performance.now() - t1 - making) * 1e6) / ROUNDS);
}

const byToken = new Map(tokens.map((t, i) => [t, i]));
const byDigest = new Map(tokens.map((t, i) => [Bun.SHA256.hash(t, 'base64'), i]));
const byCrc = new Map(tokens.map((t, i) => [Bun.hash.crc32(t), i]));
const stored = tokens.map((t) => Buffer.from(t, 'utf8'));
const scratch = Buffer.allocUnsafe(64 * 1024);

console.log(`Map.get(token string): ${nsPerCall((t) => byToken.get(t))} ns`);
console.log(`Map.get(SHA-256 digest): ${nsPerCall((t) => byDigest.get(Bun.SHA256.hash(t, 'base64')))} ns`);
console.log(
  `Map.get(crc32) + byte compare: ${nsPerCall((t) => {
    const i = byCrc.get(Bun.hash.crc32(t));
    if (i === undefined) return undefined;
    const bytes = stored[i]!;
    const n = scratch.write(t, 0, 'utf8');
    return n === bytes.length && scratch.compare(bytes, 0, n, 0, n) === 0 ? i : undefined;
  })} ns`,
);

// Branch footprint/token-bytes-exact: seeded xxHash32 of the string, the kept tokens' UTF-8 side by side in one slab.
const seed = 0x9e3779b9;
const byXx = new Map(tokens.map((t, i) => [Bun.hash.xxHash32(t, seed), i]));
const slab = Buffer.allocUnsafeSlow(TOKENS * 2048);
const offsets: number[] = [];
let used = 0;
for (const t of tokens) {
  offsets.push(used);
  used += slab.write(t, used, 'utf8');
}
console.log(
  `Map.get(seeded xxHash32) + compare in a slab: ${nsPerCall((t) => {
    const i = byXx.get(Bun.hash.xxHash32(t, seed));
    if (i === undefined) return undefined;
    const at = offsets[i]!;
    const length = (offsets[i + 1] ?? used) - at;
    const n = scratch.write(t, 0, 'utf8');
    return n === length && scratch.compare(slab, at, at + n, 0, n) === 0 ? i : undefined;
  })} ns`,
);

// The cache as it is (src/credentials/cache.ts): claims-mode entries indexed by the token's rest, the header
// checked against the one pooled string (kept-token.ts), through the LRU; against the same LRU keyed by the whole
// token string, as it was before.
const farFuture = Date.now() + 3600_000;
const result = {
  credentials: {
    accessKeyId: 'ASIAEXAMPLE',
    secretAccessKey: 's'.repeat(40),
    sessionToken: 't'.repeat(700),
    expiration: new Date(farFuture + 3600_000),
  },
  accountId: '111122223333',
  subject: { namespace: 'default', serviceAccount: 'app' },
  audience: 'pods.eks.amazonaws.com',
  podIdentityAssociation: { associationArn: 'arn', associationId: 'a' },
  assumedRoleUser: { arn: 'arn', assumeRoleId: 'id' },
};
const timing = { nowMs: Date.now(), monotonicMs: performance.now(), retentionMs: 3600_000, random: 0.5 };
const cache = createCredentialCache({ maxEntries: TOKENS * 2, keyByIdentity: false });
const wholeKeyed = new Lru<string, ReturnType<typeof createEntry>>(TOKENS * 2);
for (const t of tokens) {
  const entry = createEntry(t, t, farFuture, result as never, timing);
  cache.set(entry);
  wholeKeyed.set(t, entry);
}
const now = Date.now();
const before = (t: string) => {
  const e = wholeKeyed.get(t);
  return e !== undefined && now < e.freshUntilMs && now < e.tokenExpiresAtMs ? e : undefined;
};
const after = (t: string) => cache.lookup(t, now);
// Interleaved, so neither pays the other's warm-up or the machine's slow moments alone.
const runs: Record<string, number[]> = { before: [], after: [] };
for (let round = 0; round < 4; round++) {
  runs.before!.push(nsPerCall(before));
  runs.after!.push(nsPerCall(after));
}
const mid = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
console.log(
  `lookup in an LRU keyed by the whole token (before): ${runs.before!.join(', ')} ns, median ${mid(runs.before!)}`,
);
console.log(
  `cache.lookup, rest-keyed, header checked (now): ${runs.after!.join(', ')} ns, median ${mid(runs.after!)}`,
);

// From source, in one process: what the cache's cold tier costs per call (cold-tier review). N token-keyed entries
// with API-server-sized tokens; the sweep's calls (each a synchronous stretch of the event loop), a cold hit
// (unpack and promote) against a hot hit, and a set into a full cache (which evicts the entry longest cold).
// Usage: bun bench/cold-tier-costs.ts [N=10000] [HOT=1024]   (HOT 20000: nothing packed, the baseline)
import { randomBytes } from 'node:crypto';
import { COLD_AFTER_MS, createCredentialCache } from '../src/credentials/cache.ts';
import { createEntry } from '../src/credentials/entry.ts';
import type { AssumeRoleForPodIdentityResult } from '../src/eks-auth/types.ts';
import { createTokenIssuer } from '../src/emulator/token-issuer.ts';

const n = Number(process.argv[2] ?? 10_000);
const hotEntries = Number(process.argv[3] ?? 1024);
const extra = 20_000;
const clock = { now: () => Date.now(), monotonic: () => performance.now() };
const issuer = await createTokenIssuer({
  issuer: 'https://oidc.eks.us-west-2.amazonaws.com/id/0123456789ABCDEF0123456789ABCDEF',
  clock,
} as never);
const tokens = Array.from({ length: n + extra }, (_, i) =>
  issuer.issue({ namespace: 'bench', serviceAccount: `sa-${i % 7}` } as never),
);
function result(): AssumeRoleForPodIdentityResult {
  return {
    credentials: {
      accessKeyId: `ASIA${randomBytes(8).toString('hex').toUpperCase()}`,
      secretAccessKey: randomBytes(30).toString('base64'),
      sessionToken: `IQoJb3JpZ2luX2Vj${randomBytes(600).toString('base64')}`,
      expiration: new Date(Date.now() + 3600e3),
    },
    accountId: '111122223333',
    subject: { namespace: 'bench', serviceAccount: 'sa' },
  } as AssumeRoleForPodIdentityResult;
}
const entry = (token: string) =>
  createEntry(token, token, Date.now() + 86_400e3, result(), {
    nowMs: Date.now(),
    monotonicMs: performance.now(),
    retentionMs: 3600e3,
    random: 0.5,
  });
const quantile = (xs: number[], q: number) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length * q)]!;
const us = (ms: number) => Number((ms * 1000).toFixed(2));

const cache = createCredentialCache({ maxEntries: n, keyByIdentity: false, hotEntries });
for (let i = 0; i < n; i++) cache.set(entry(tokens[i]!));
let mono = 1e9;
cache.sweep(mono);
mono += COLD_AFTER_MS;
const sweepCalls: number[] = [];
for (let more = true; more; ) {
  const t = performance.now();
  more = cache.sweep(mono);
  sweepCalls.push(performance.now() - t);
}
const now = Date.now();
let t = performance.now();
for (let i = 0; i < 2000; i++) cache.lookup(tokens[i]!, now);
const coldHitUs = us((performance.now() - t) / 2000);
t = performance.now();
for (let r = 0; r < 50; r++) for (let i = 0; i < 2000; i++) cache.lookup(tokens[i]!, now);
const hotHitUs = us((performance.now() - t) / 100_000);
const fresh = Array.from({ length: extra }, (_, i) => entry(tokens[n + i]!));
const sets: number[] = [];
for (let i = 0; i < extra; i++) {
  const s = performance.now();
  cache.set(fresh[i]!);
  sets.push(performance.now() - s);
  if (i % 500 === 499) {
    mono += COLD_AFTER_MS;
    while (cache.sweep(mono));
  }
}
console.log(
  JSON.stringify({
    n,
    hotEntries,
    sweepCalls: sweepCalls.length,
    sweepTotalMs: Number(sweepCalls.reduce((a, b) => a + b, 0).toFixed(1)),
    sweepCallMedianMs: Number(quantile(sweepCalls, 0.5).toFixed(2)),
    sweepCallMaxMs: Number(Math.max(...sweepCalls).toFixed(2)),
    coldHitUs,
    hotHitUs,
    setAtCapacityMeanUs: us(sets.reduce((a, b) => a + b, 0) / sets.length),
    setAtCapacityP50Us: us(quantile(sets, 0.5)),
    setAtCapacityP99Us: us(quantile(sets, 0.99)),
  }),
);

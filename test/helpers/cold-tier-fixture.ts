// What the cold-tier tests share (test/credentials/cold-tier*.test.ts): a manual clock, entries whose bodies pack
// fully (a base64 session token, as EKS Auth's is; the fake's is not), and a cache metrics stub that counts.
import { randomBytes } from 'node:crypto';
import { createManualClock } from '../../src/clock.ts';
import type { createCredentialCache } from '../../src/credentials/cache.ts';
import { type CredentialEntry, createEntry } from '../../src/credentials/entry.ts';
import type { AssumeRoleForPodIdentityResult } from '../../src/eks-auth/types.ts';
import { createFakeEksAuth } from './fake-eks-auth.ts';

export function createColdTierFixture() {
  const clock = createManualClock();
  const fake = createFakeEksAuth(clock);
  const timing = () => ({
    nowMs: clock.now(),
    monotonicMs: clock.monotonic(),
    retentionMs: 3600_000,
    random: 0.5,
  });
  /** A token expiry a day ahead, in epoch seconds. */
  const exp = () => Math.floor(clock.now() / 1000) + 86_400;
  function result(n: number): AssumeRoleForPodIdentityResult {
    const r = fake.success({ token: 't', options: undefined }, n);
    return { ...r, credentials: { ...r.credentials, sessionToken: randomBytes(600).toString('base64') } };
  }
  function tokenEntry(token: string, n: number): CredentialEntry {
    return createEntry(token, token, exp() * 1000, result(n), timing());
  }
  return { clock, timing, exp, result, tokenEntry };
}

/** Cache metrics that count evictions and read the cache's size gauges. */
export function countedCacheMetrics() {
  let evictions = 0;
  const metrics = {
    hot: { evicted: { inc: () => evictions++ } },
    cacheSize: { read: () => 0 },
    coldSize: { read: () => 0 },
  } as unknown as NonNullable<Parameters<typeof createCredentialCache>[0]['metrics']>;
  return {
    metrics,
    evictions: () => evictions,
    size: () => (metrics.cacheSize.read as () => number)(),
    cold: () => (metrics.coldSize!.read as () => number)(),
  };
}

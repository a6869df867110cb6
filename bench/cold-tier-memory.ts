// What a cached entry costs in one process, packed or not (src/credentials/cache.ts's cold tier): 10,000
// token-keyed entries made from emulator tokens and container-credentials bodies, RSS after forced collections at
// 250 entries and at 10,000. With `packed`, the cache's sweep packs every entry (as the refresher's would, 5-10 s
// after their last use); with `unpacked`, nothing is packed (a cache that never sweeps).
// With `lookups`, it times lookups instead: a hot hit, a cold hit (the entry unpacked into the hot tier) and a
// miss (a token no tier holds: the cold tier's probe included), in microseconds per lookup, three rounds each.
// Usage: bun bench/cold-tier-memory.ts packed|unpacked|lookups   (README, footprint (7)). One JSON line.
import { randomBytes } from 'node:crypto';
import { createManualClock } from '../src/clock.ts';
import { COLD_AFTER_MS, createCredentialCache } from '../src/credentials/cache.ts';
import { createEntry } from '../src/credentials/entry.ts';
import type { AssumeRoleForPodIdentityResult } from '../src/eks-auth/types.ts';
import { createTokenIssuer } from '../src/emulator/token-issuer.ts';

const mode = process.argv[2];
if (mode !== 'packed' && mode !== 'unpacked' && mode !== 'lookups')
  throw new Error('usage: cold-tier-memory.ts packed|unpacked|lookups');
const ENTRIES = 10_000;
const PODS = 250;
const clock = createManualClock();
const issuer = await createTokenIssuer({ issuer: 'https://127.0.0.1:12345', clock });
const cache = createCredentialCache({ maxEntries: 2 * ENTRIES, keyByIdentity: false });

function result(i: number): AssumeRoleForPodIdentityResult {
  return {
    credentials: {
      accessKeyId: `ASIA${randomBytes(8).toString('hex').toUpperCase()}`,
      secretAccessKey: randomBytes(30).toString('base64'),
      sessionToken: `IQoJb3JpZ2luX2Vj${randomBytes(600).toString('base64')}`,
      expiration: new Date(clock.now() + 6 * 3600_000 + i),
    },
    accountId: '111122223333',
    assumedRoleUser: { arn: 'arn:aws:sts::111122223333:assumed-role/r/s', assumeRoleId: 'AROA:s' },
    podIdentityAssociation: { associationArn: 'arn:aws:eks:us-west-2:111122223333:a', associationId: 'a-1' },
    subject: { namespace: 'bench', serviceAccount: 'sa' },
    audience: 'pods.eks.amazonaws.com',
    requestId: `req-${i}`,
  };
}

const tokens: string[] = [];
function add(from: number, to: number) {
  for (let i = from; i < to; i++) {
    // A copy, as a request's header value would be: the issuer's string is garbage after this.
    const token = Buffer.from(issuer.issue({ namespace: 'bench', serviceAccount: `sa-${i % 7}` })).toString();
    if (mode === 'lookups') tokens.push(token);
    const timing = { nowMs: clock.now(), monotonicMs: clock.monotonic(), retentionMs: 3600_000, random: 0.5 };
    cache.set(createEntry(token, token, clock.now() + 86_400_000, result(i), timing, undefined, 'bench/sa'));
  }
}

async function settledMb(): Promise<number> {
  Bun.gc(true);
  await Bun.sleep(100);
  Bun.gc(true);
  await Bun.sleep(1000);
  return process.memoryUsage().rss / 1048576;
}

function packAll() {
  let mono = clock.monotonic();
  for (let i = 0; i < 3; i++) {
    mono += COLD_AFTER_MS;
    while (cache.sweep(mono));
  }
  clock.advance(COLD_AFTER_MS * 3);
}

if (mode === 'lookups') {
  add(0, ENTRIES);
  const us = (start: number, n: number) => Math.round(((performance.now() - start) * 1000 * 100) / n) / 100;
  const rounds: { hot: number; cold: number; miss: number }[] = [];
  const others = Array.from({ length: 2000 }, () =>
    Buffer.from(issuer.issue({ namespace: 'bench', serviceAccount: 'none' })).toString(),
  );
  for (let round = 0; round < 3; round++) {
    packAll();
    const hotToken = tokens[round]!;
    cache.lookup(hotToken, clock.now());
    let t = performance.now();
    for (let i = 0; i < 100_000; i++) cache.lookup(hotToken, clock.now());
    const hot = us(t, 100_000);
    // 2,000 cold entries, each hit once (each is unpacked into the hot tier).
    const cold = tokens.slice(1000 + round * 2000, 3000 + round * 2000);
    t = performance.now();
    for (const token of cold)
      if (cache.lookup(token, clock.now()) === undefined) throw new Error('cold miss');
    const coldUs = us(t, cold.length);
    t = performance.now();
    for (const token of others)
      if (cache.lookup(token, clock.now()) !== undefined) throw new Error('false hit');
    rounds.push({ hot, cold: coldUs, miss: us(t, others.length) });
  }
  console.log(JSON.stringify({ mode, rounds }));
} else {
  add(0, PODS);
  const atPods = await settledMb();
  add(PODS, ENTRIES);
  if (mode === 'packed') packAll();
  const atEntries = await settledMb();
  console.log(
    JSON.stringify({
      mode,
      entries: cache.size,
      mbAtPods: Math.round(atPods * 10) / 10,
      mbAtEntries: Math.round(atEntries * 10) / 10,
      kbPerEntry: Math.round(((atEntries - atPods) * 1024 * 100) / (ENTRIES - PODS)) / 100,
    }),
  );
}

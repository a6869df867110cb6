// Token verification costs, as ratios to our node:crypto signature check measured in the same run.
// Run: npx bun bench/verify.bench.ts [iterations]
import { createLocalJWKSet, exportJWK, generateKeyPair, jwtVerify, SignJWT } from 'jose';
import { createManualClock } from '../src/clock.ts';
import type { KeySource } from '../src/token/jwks.ts';
import { createSignaturePool } from '../src/token/signature-pool.ts';
import { parseTokenClaims } from '../src/token/token-claims.ts';
import { createTokenVerifier } from '../src/token/token-verifier.ts';
import { type PublicJwk, verifySignature } from '../src/token/verify-signature.ts';

const iterations = Number(process.argv[2] ?? 5000);
const audience = 'pods.eks.amazonaws.com';
const issuer = 'https://issuer.bench';
const clock = createManualClock(Date.now());
const nowSeconds = Math.floor(clock.now() / 1000);

const { privateKey, publicKey } = await generateKeyPair('RS256', { extractable: true });
const jwk = { ...(await exportJWK(publicKey)), kid: 'bench', alg: 'RS256', use: 'sig' };
const token = await new SignJWT({
  sub: 'system:serviceaccount:bench:app',
  'kubernetes.io': { namespace: 'bench', serviceaccount: { name: 'app' }, pod: { name: 'p', uid: 'u' } },
})
  .setProtectedHeader({ alg: 'RS256', kid: 'bench' })
  .setIssuer(issuer)
  .setAudience(audience)
  .setIssuedAt(nowSeconds)
  .setExpirationTime(nowSeconds + 3600)
  .sign(privateKey);
const [h, p, s] = token.split('.');

async function measure(name: string, fn: () => unknown): Promise<[string, number]> {
  for (let i = 0; i < Math.min(500, iterations); i++) await fn();
  const start = performance.now();
  for (let i = 0; i < iterations; i++) await fn();
  return [name, ((performance.now() - start) * 1000) / iterations];
}

/** Throughput with `concurrency` verifications in flight, as microseconds per verification. */
async function measureConcurrent(name: string, fn: () => Promise<unknown>, concurrency: number) {
  const run = async () => {
    let next = 0;
    await Promise.all(
      Array.from({ length: concurrency }, async () => {
        while (next++ < iterations) await fn();
      }),
    );
  };
  await run(); // warm-up: workers started, keys imported, code compiled
  const start = performance.now();
  const cpu = process.threadCpuUsage();
  await run();
  const used = process.threadCpuUsage(cpu);
  mainThreadCpu.set(name, (used.user + used.system) / iterations);
  return [name, ((performance.now() - start) * 1000) / iterations] as [string, number];
}
/** Main-thread CPU per verification for the concurrent rows: what the pool actually takes off the loop. */
const mainThreadCpu = new Map<string, number>();

const task = {
  alg: 'RS256',
  keyId: 'bench',
  jwk: jwk as PublicJwk,
  signingInput: `${h}.${p}`,
  signature: s!,
};
const jwks = createLocalJWKSet({ keys: [jwk] });
const keySource: KeySource = {
  start: async () => {},
  current: () => ({ version: 1, keys: [{ kid: 'bench', keyId: '1.0', jwk: jwk as PublicJwk }] }),
  refresh: async () => false,
  refreshForUnknownKey: async () => 'unchanged',
  status: () => ({
    kind: 'file',
    location: 'bench',
    loaded: true,
    version: 1,
    keys: 1,
    createdAtMs: 0,
    lastSuccessAtMs: 0,
    lastError: undefined,
    fromPersisted: false,
  }),
  close: () => {},
};
const inline = createTokenVerifier({ keySource, issuer, workers: 0, clock });
const pooled = createTokenVerifier({ keySource, issuer, workers: 2, maxQueue: 1024, clock });
const onePool = createSignaturePool({ workers: 1, maxQueue: 1024 });
const twoPool = createSignaturePool({ workers: 2, maxQueue: 1024 });

const rows = [
  await measure('node:crypto verifySignature (baseline)', () => verifySignature(task)),
  await measure('jose jwtVerify, local JWKS', () => jwtVerify(token, jwks, { issuer, audience })),
  await measure('parseTokenClaims (cheap checks)', () => parseTokenClaims(token, nowSeconds)),
  await measure('verifier inline, full path', () => inline.verify(token)),
  // One at a time: the difference to the baseline is the hand-off round trip (post, wake, reply, wake).
  await measure('pool, 1 worker, 1 in flight', () => onePool.run(task)),
  await measureConcurrent('inline check, 32 in flight', async () => verifySignature(task), 32),
  await measureConcurrent('pool, 2 workers, 32 in flight', async () => twoPool.run(task), 32),
  await measureConcurrent('verifier on 2 workers, 32 in flight', () => pooled.verify(token), 32),
];
await inline.close();
await pooled.close();
await onePool.close();
await twoPool.close();

const baseline = rows[0]![1];
console.log(`iterations: ${iterations}`);
for (const [name, us] of rows) {
  const cpu = mainThreadCpu.get(name);
  const cpuText = cpu === undefined ? '' : `  main-thread CPU ${(cpu / baseline).toFixed(2)}x`;
  console.log(
    `${name.padEnd(42)} ${us.toFixed(2).padStart(9)} us/op  ${(us / baseline).toFixed(2)}x${cpuText}`,
  );
}

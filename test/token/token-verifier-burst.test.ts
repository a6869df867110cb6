// A pod-start storm against the verifying agent: 300 pods' first checks arrive together, before the pool's
// worker (started by the first check) has answered any, and every one of them must wait for its turn rather
// than be refused: a 503 Overloaded fails PHP's SDK outright (it retries only its own timeouts).
import { afterAll, beforeAll, expect, test } from 'bun:test';
import { createManualClock } from '../../src/clock.ts';
import { createSilentLogger } from '../../src/observability/logger.ts';
import { createKeySource, type KeySource } from '../../src/token/jwks.ts';
import { createTokenVerifier } from '../../src/token/token-verifier.ts';
import type { TokenVerifier } from '../../src/token/types.ts';
import { createIssuerKey, type LocalIssuer, podClaims, startLocalIssuer } from './local-issuer.ts';

const PODS = 300;
const clock = createManualClock();
let issuer: LocalIssuer;
let keySource: KeySource;
let verifier: TokenVerifier;

beforeAll(async () => {
  issuer = await startLocalIssuer([await createIssuerKey('rsa-1')]);
  keySource = createKeySource({ tokenIssuer: issuer.url, clock, logger: createSilentLogger() });
  await keySource.start();
  // The default queue bound, one worker (a 2-core node's default), not yet started.
  verifier = createTokenVerifier({ keySource, issuer: issuer.url, workers: 1, clock });
});
afterAll(async () => {
  await verifier.close();
  keySource.close();
  issuer.stop();
});

test(`${PODS} pods' first checks at once are all verified, none refused as Overloaded`, async () => {
  const nowSeconds = Math.floor(clock.now() / 1000);
  const tokens = await Promise.all(
    Array.from({ length: PODS }, (_, i) => {
      const base = podClaims(nowSeconds) as { 'kubernetes.io': { pod: object } } & Record<string, unknown>;
      const claims = {
        'kubernetes.io': { ...base['kubernetes.io'], pod: { name: `app-${i}`, uid: `pod-uid-${i}` } },
      };
      return issuer.sign({ nowSeconds, claims });
    }),
  );
  const results = await Promise.allSettled(tokens.map((t) => verifier.verify(t)));
  const refused = results.filter((r) => r.status === 'rejected').map((r) => String(r.reason));
  expect(refused).toEqual([]);
  const pods = new Set(results.map((r) => (r.status === 'fulfilled' ? r.value.podUid : '')));
  expect(pods.size).toBe(PODS);
});

// Token verifier against a real loopback issuer, inline (workers = 0) and on the worker pool (workers = 2).
import { afterAll, beforeAll, describe, expect, test } from 'bun:test';
import { createHmac } from 'node:crypto';
import { createManualClock } from '../../src/clock.ts';
import { AgentError } from '../../src/errors.ts';
import { createSilentLogger } from '../../src/observability/logger.ts';
import { createMetrics } from '../../src/observability/metrics.ts';
import { createKeySource, type KeySource } from '../../src/token/jwks.ts';
import { createTokenVerifier } from '../../src/token/token-verifier.ts';
import type { TokenVerifier } from '../../src/token/types.ts';
import {
  createIssuerKey,
  type IssuerKey,
  type LocalIssuer,
  podClaims,
  publicPem,
  startLocalIssuer,
} from './local-issuer.ts';

const b64 = (v: unknown) => Buffer.from(JSON.stringify(v)).toString('base64url');

async function rejectionOf(promise: Promise<unknown>): Promise<AgentError> {
  try {
    await promise;
  } catch (err) {
    expect(err).toBeInstanceOf(AgentError);
    return err as AgentError;
  }
  throw new Error('expected verification to fail');
}

let rsa: IssuerKey;
let ec: IssuerKey;
let pss: IssuerKey;
let stranger: IssuerKey;
beforeAll(async () => {
  [rsa, ec, pss, stranger] = await Promise.all([
    createIssuerKey('rsa-1'),
    createIssuerKey('ec-1', 'ES256'),
    createIssuerKey('pss-1', 'PS256'),
    createIssuerKey('rsa-1'), // same kid as the real key: a forger's guess
  ]);
});

describe.each([0, 2])('token verifier with workers=%d', (workers) => {
  const clock = createManualClock();
  const now = () => Math.floor(clock.now() / 1000);
  let issuer: LocalIssuer;
  let keySource: KeySource;
  let verifier: TokenVerifier;
  let metrics: ReturnType<typeof createMetrics>;

  beforeAll(async () => {
    issuer = await startLocalIssuer([rsa, ec, pss]);
    keySource = createKeySource({ tokenIssuer: issuer.url, clock, logger: createSilentLogger() });
    await keySource.start();
    metrics = createMetrics();
    verifier = createTokenVerifier({ keySource, issuer: issuer.url, workers, clock, metrics });
  });
  afterAll(async () => {
    await verifier.close();
    keySource.close();
    issuer.stop();
  });

  test.each(['rsa', 'ec', 'pss'])('accepts a valid %s token and returns the pod identity', async (which) => {
    const key = { rsa, ec, pss }[which]!;
    const identity = await verifier.verify(await issuer.sign({ key, nowSeconds: now() }));
    expect(identity).toEqual({
      namespace: 'team-a',
      serviceAccount: 'app',
      podName: 'app-7d4f',
      podUid: 'pod-uid-1',
      exp: now() + 3600,
    });
  });

  const rejections: [string, (i: LocalIssuer, n: number) => Promise<string>, string, string][] = [
    [
      'forged signature (same kid, other key)',
      (i, n) => i.sign({ key: stranger, nowSeconds: n }),
      'TokenRejected',
      'token signature is invalid',
    ],
    [
      'payload swapped under a valid signature',
      async (i, n) => {
        const [h, , s] = (await i.sign({ nowSeconds: n })).split('.');
        return `${h}.${b64({ ...podClaims(n, 'kube-system', 'admin'), iss: i.url })}.${s}`;
      },
      'TokenRejected',
      'token signature is invalid',
    ],
    [
      'wrong issuer',
      (i, n) => i.sign({ nowSeconds: n, claims: { iss: 'https://evil.example' } }),
      'TokenRejected',
      'token issuer is not the trusted issuer',
    ],
    [
      'wrong audience',
      (i, n) => i.sign({ nowSeconds: n, claims: { aud: ['sts.amazonaws.com'] } }),
      'TokenRejected',
      'token audience does not include pods.eks.amazonaws.com',
    ],
    [
      'expired',
      (i, n) => i.sign({ nowSeconds: n, claims: { exp: n - 3600 } }),
      'InvalidToken',
      'token is expired',
    ],
    [
      'not yet valid',
      (i, n) => i.sign({ nowSeconds: n, claims: { nbf: n + 3600 } }),
      'InvalidToken',
      'token is not valid yet (nbf)',
    ],
    [
      'subject mismatch',
      (i, n) => i.sign({ nowSeconds: n, claims: { sub: 'system:serviceaccount:kube-system:admin' } }),
      'TokenRejected',
      'token subject does not match its kubernetes.io service account claims',
    ],
    [
      'not bound to a pod',
      (i, n) =>
        i.sign({
          nowSeconds: n,
          claims: { 'kubernetes.io': { namespace: 'team-a', serviceaccount: { name: 'app' } } },
        }),
      'TokenRejected',
      'token is not bound to a pod (no kubernetes.io pod name and uid)',
    ],
    [
      'alg none',
      async (i, n) => `${b64({ alg: 'none', kid: 'rsa-1' })}.${b64({ ...podClaims(n), iss: i.url })}.`,
      'TokenRejected',
      'unsigned tokens (alg none) are not accepted',
    ],
    [
      'HS256 signed with the RSA public key bytes',
      async (i, n) => {
        const input = `${b64({ alg: 'HS256', kid: 'rsa-1' })}.${b64({ ...podClaims(n), iss: i.url })}`;
        const mac = createHmac('sha256', await publicPem(rsa))
          .update(input)
          .digest('base64url');
        return `${input}.${mac}`;
      },
      'TokenRejected',
      'symmetric (HMAC) token algorithms are not accepted',
    ],
    [
      'alg does not match the key type (ES256 header, RSA kid)',
      async (i, n) => {
        const [, p, s] = (await i.sign({ key: ec, nowSeconds: n })).split('.');
        return `${b64({ alg: 'ES256', kid: 'rsa-1' })}.${p}.${s}`;
      },
      'TokenRejected',
      'token algorithm does not match the signing key',
    ],
    ['not a JWT', async () => 'not-a-jwt', 'InvalidToken', 'token is not a JWT: expected three segments'],
  ];
  test.each(rejections)('rejects: %s', async (_name, make, code, message) => {
    const token = await make(issuer, now());
    const err = await rejectionOf(verifier.verify(token));
    expect(err.code).toBe(code as AgentError['code']);
    expect(err.message).toBe(message);
    expect(err.message).not.toContain(token.slice(0, 24));
  });

  test('counts verifications by result', async () => {
    const metric = await metrics.tokenVerifications.get();
    const count = (result: string) => metric.values.find((v) => v.labels['result'] === result)?.value ?? 0;
    expect(count('valid')).toBeGreaterThanOrEqual(3);
    expect(count('TokenRejected')).toBeGreaterThanOrEqual(8);
    expect(count('InvalidToken')).toBeGreaterThanOrEqual(3);
  });

  test('unknown kid triggers exactly one rate-limited JWKS refresh, then fails', async () => {
    clock.advance(60_000); // clear the start-up load out of the rate limit window
    const before = issuer.stats.jwks;
    const token = await issuer.sign({ kid: 'rotated-away', nowSeconds: now() });
    const first = await rejectionOf(verifier.verify(token));
    expect(first.code).toBe('TokenRejected');
    expect(first.message).toBe('token signing key (kid) is not known to the trusted issuer');
    expect(issuer.stats.jwks).toBe(before + 1);
    // Within minRefreshIntervalMs, more unknown kids cause no more fetches.
    await rejectionOf(verifier.verify(token));
    await rejectionOf(verifier.verify(await issuer.sign({ kid: 'other', nowSeconds: now() })));
    expect(issuer.stats.jwks).toBe(before + 1);
  });

  test('a key published after start is picked up through the unknown-kid refresh', async () => {
    const fresh = await createIssuerKey('rsa-2');
    issuer.publish([rsa, ec, pss, fresh]);
    clock.advance(31_000);
    const identity = await verifier.verify(await issuer.sign({ key: fresh, nowSeconds: now() }));
    expect(identity.podUid).toBe('pod-uid-1');
  });

  test('the last good keys keep working while the JWKS endpoint is down', async () => {
    issuer.setDown(true);
    try {
      expect(await keySource.refresh()).toBe(false);
      expect(keySource.current()?.keys.length).toBe(4);
      const identity = await verifier.verify(await issuer.sign({ nowSeconds: now() }));
      expect(identity.serviceAccount).toBe('app');
    } finally {
      issuer.setDown(false);
    }
  });
});

describe.each([0, 2])('without keys, workers=%d', (workers) => {
  test('a verifier whose issuer never answered fails with a retryable 503 KeysUnavailable', async () => {
    const issuer = await startLocalIssuer([rsa]);
    issuer.setDown(true);
    const clock = createManualClock();
    const keySource = createKeySource({ tokenIssuer: issuer.url, clock, logger: createSilentLogger() });
    await keySource.start();
    const verifier = createTokenVerifier({ keySource, issuer: issuer.url, workers, clock });
    try {
      const err = await rejectionOf(verifier.verify(await issuer.sign({ nowSeconds: clock.now() / 1000 })));
      expect(err.code).toBe('KeysUnavailable');
      expect(err.status).toBe(503);
      expect(err.retryable).toBe(true);
    } finally {
      await verifier.close();
      keySource.close();
      issuer.stop();
    }
  });
});

describe('bounded verification queue', () => {
  test('beyond workers + maxQueue, verifications fail at once with Overloaded', async () => {
    const issuer = await startLocalIssuer([rsa]);
    const clock = createManualClock();
    const keySource = createKeySource({ jwksUrl: issuer.jwksUrl, clock, logger: createSilentLogger() });
    await keySource.start();
    const metrics = createMetrics();
    const verifier = createTokenVerifier({
      keySource,
      issuer: undefined,
      workers: 2,
      maxQueue: 1,
      clock,
      metrics,
    });
    try {
      const token = await issuer.sign({ nowSeconds: clock.now() / 1000 });
      const results = await Promise.allSettled(Array.from({ length: 10 }, () => verifier.verify(token)));
      const ok = results.filter((r) => r.status === 'fulfilled');
      const overloaded = results.filter(
        (r) => r.status === 'rejected' && r.reason instanceof AgentError && r.reason.code === 'Overloaded',
      );
      expect(ok.length).toBe(3);
      expect(overloaded.length).toBe(7);
      expect((overloaded[0] as PromiseRejectedResult).reason.status).toBe(503);
      // Once drained, the pool accepts work again and the queue gauge is back to zero.
      expect((await verifier.verify(token)).namespace).toBe('team-a');
      expect((await metrics.verifyQueueDepth.get()).values[0]?.value).toBe(0);
    } finally {
      await verifier.close();
      keySource.close();
      issuer.stop();
    }
  });
});

// Key rotation that keeps the kid: the issuer replaces a key's material under the same kid. Checks on the
// workers cross as JSON parsed once per keyId (verify-wire.ts) and imported once per keyId (verify-signature.ts):
// a cache that outlived the key's material would accept the old key's tokens and refuse the new one's.
describe.each([0, 2])('same kid, new key material, workers=%d', (workers) => {
  test("after the refresh the old material's tokens are refused and the new one's accepted", async () => {
    const clock = createManualClock();
    const now = () => Math.floor(clock.now() / 1000);
    const issuer = await startLocalIssuer([rsa]);
    const keySource = createKeySource({ tokenIssuer: issuer.url, clock, logger: createSilentLogger() });
    await keySource.start();
    const verifier = createTokenVerifier({ keySource, issuer: issuer.url, workers, clock });
    try {
      // Several checks, so that every worker has parsed and imported the first material.
      for (let i = 0; i < 4; i++) {
        expect((await verifier.verify(await issuer.sign({ key: rsa, nowSeconds: now() }))).podUid).toBe(
          'pod-uid-1',
        );
      }
      issuer.publish([stranger]); // kid 'rsa-1' again, other material
      expect(await keySource.refresh()).toBe(true);
      for (let i = 0; i < 4; i++) {
        const old = await rejectionOf(verifier.verify(await issuer.sign({ key: rsa, nowSeconds: now() })));
        expect(old.message).toBe('token signature is invalid');
        const fresh = await verifier.verify(await issuer.sign({ key: stranger, nowSeconds: now() }));
        expect(fresh.podUid).toBe('pod-uid-1');
      }
    } finally {
      await verifier.close();
      keySource.close();
      issuer.stop();
    }
  });
});

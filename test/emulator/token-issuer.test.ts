// Token issuer: shape of issued tokens, discovery documents, and request validation.
import { afterAll, beforeAll, describe, expect, test } from 'bun:test';
import { createRemoteJWKSet, jwtVerify } from 'jose';
import { createManualClock } from '../../src/clock.ts';
import { type Emulator, startEmulator } from '../../src/emulator/index.ts';

const clock = createManualClock(Date.UTC(2026, 0, 15, 10, 0, 0));
const nowSeconds = () => Math.floor(clock.now() / 1000);
let emu: Emulator;

beforeAll(async () => {
  emu = await startEmulator({ clock });
});
afterAll(() => emu.stop());

interface Claims {
  iss: string;
  sub: string;
  aud: string[];
  iat: number;
  nbf: number;
  exp: number;
  jti: string;
  'kubernetes.io': {
    namespace: string;
    node: { name: string; uid: string };
    pod: { name: string; uid: string };
    serviceaccount: { name: string; uid: string };
  };
}

function decode(token: string): { header: Record<string, unknown>; claims: Claims } {
  const [h, p] = token.split('.') as [string, string];
  return {
    header: JSON.parse(Buffer.from(h, 'base64url').toString()),
    claims: JSON.parse(Buffer.from(p, 'base64url').toString()),
  };
}

describe('issued tokens', () => {
  test('look like projected service-account tokens', async () => {
    const token = await emu.issueToken({
      namespace: 'shop',
      serviceAccount: 'cart',
      podName: 'cart-1',
      podUid: 'u-1',
    });
    const { header, claims } = decode(token);
    const jwks = (await (await fetch(`${emu.url}/openid/v1/jwks`)).json()) as { keys: { kid: string }[] };
    expect(header).toEqual({ alg: 'RS256', kid: jwks.keys[0]!.kid, typ: 'JWT' });
    expect(claims.iss).toBe(emu.url);
    expect(claims.sub).toBe('system:serviceaccount:shop:cart');
    expect(claims.aud).toEqual(['pods.eks.amazonaws.com']);
    expect(claims.iat).toBe(nowSeconds());
    expect(claims.nbf).toBe(nowSeconds());
    expect(claims.exp).toBe(nowSeconds() + 86400);
    expect(claims.jti).toMatch(/^[0-9a-f-]{36}$/);
    const k8s = claims['kubernetes.io'];
    expect(k8s.namespace).toBe('shop');
    expect(k8s.pod).toEqual({ name: 'cart-1', uid: 'u-1' });
    expect(k8s.serviceaccount.name).toBe('cart');
    expect(k8s.node.name).toBeString();
    expect(k8s.node.uid).toMatch(/^[0-9a-f-]{36}$/);
  });

  test('verify with jose against the published discovery document and JWKS', async () => {
    const config = (await (await fetch(`${emu.url}/.well-known/openid-configuration`)).json()) as Record<
      string,
      string
    >;
    expect(config.issuer).toBe(emu.url);
    expect(config.jwks_uri).toBe(`${emu.url}/openid/v1/jwks`);
    const token = await emu.issueToken({ namespace: 'default', serviceAccount: 'app' });
    const { payload } = await jwtVerify(token, createRemoteJWKSet(new URL(config.jwks_uri!)), {
      issuer: emu.url,
      audience: 'pods.eks.amazonaws.com',
      currentDate: new Date(clock.now()),
    });
    expect(payload.sub).toBe('system:serviceaccount:default:app');
  });

  test('one service account keeps its uid; pods get fresh names, uids and jtis by default', async () => {
    const a = decode(await emu.issueToken({ namespace: 'default', serviceAccount: 'app' })).claims;
    const b = decode(await emu.issueToken({ namespace: 'default', serviceAccount: 'app' })).claims;
    const other = decode(await emu.issueToken({ namespace: 'default', serviceAccount: 'other' })).claims;
    expect(a['kubernetes.io'].serviceaccount.uid).toBe(b['kubernetes.io'].serviceaccount.uid);
    expect(a['kubernetes.io'].serviceaccount.uid).not.toBe(other['kubernetes.io'].serviceaccount.uid);
    expect(a['kubernetes.io'].pod.uid).not.toBe(b['kubernetes.io'].pod.uid);
    expect(a['kubernetes.io'].pod.name).toMatch(/^app-[a-z0-9]{5}$/);
    expect(a.jti).not.toBe(b.jti);
  });

  test('ttl, audience and time offsets shape future and past tokens', async () => {
    const past = decode(
      await emu.issueToken({
        namespace: 'default',
        serviceAccount: 'app',
        ttlSeconds: 600,
        issuedAtOffsetSeconds: -3600,
        audience: ['sts.amazonaws.com', 'pods.eks.amazonaws.com'],
      }),
    ).claims;
    expect(past.iat).toBe(nowSeconds() - 3600);
    expect(past.nbf).toBe(nowSeconds() - 3600);
    expect(past.exp).toBe(nowSeconds() - 3000);
    expect(past.aud).toEqual(['sts.amazonaws.com', 'pods.eks.amazonaws.com']);
    const future = decode(
      await emu.issueToken({
        namespace: 'default',
        serviceAccount: 'app',
        notBeforeOffsetSeconds: 120,
        audience: 'x',
      }),
    ).claims;
    expect(future.nbf).toBe(nowSeconds() + 120);
    expect(future.aud).toEqual(['x']);
  });
});

describe('token request validation', () => {
  const cases: [string, unknown, RegExp][] = [
    ['missing namespace', { serviceAccount: 'a' }, /namespace must be a DNS label/],
    ['uppercase namespace', { namespace: 'Prod', serviceAccount: 'a' }, /namespace must be a DNS label/],
    ['missing service account', { namespace: 'a' }, /serviceAccount must be a DNS subdomain/],
    ['zero ttl', { namespace: 'a', serviceAccount: 'b', ttlSeconds: 0 }, /ttlSeconds must be an integer/],
    [
      'fractional ttl',
      { namespace: 'a', serviceAccount: 'b', ttlSeconds: 1.5 },
      /ttlSeconds must be an integer/,
    ],
    ['empty audience list', { namespace: 'a', serviceAccount: 'b', audience: [] }, /audience list/],
    ['audience number', { namespace: 'a', serviceAccount: 'b', audience: 7 }, /audience must be a string/],
    ['unknown field', { namespace: 'a', serviceAccount: 'b', role: 'x' }, /unknown field 'role'/],
    ['not an object', 'default/app', /must be a JSON object/],
  ];
  for (const [name, input, message] of cases) {
    test(name, async () => {
      await expect(emu.issueToken(input as never)).rejects.toThrow(message);
    });
  }
});

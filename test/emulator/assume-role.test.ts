// AssumeRoleForPodIdentity on the emulator: the success path, associations, and token failures.
import { afterAll, afterEach, beforeAll, describe, expect, test } from 'bun:test';
import { generateKeyPairSync, sign } from 'node:crypto';
import { createManualClock } from '../../src/clock.ts';
import type { AssumeRoleOutput } from '../../src/emulator/assume-role-response.ts';
import { type Emulator, startEmulator } from '../../src/emulator/index.ts';
import { callAssumeRole, errorOf } from './signed-fetch.ts';

const clock = createManualClock(Date.now());
const at = () => ({ signingDate: new Date(clock.now()) });
let emu: Emulator;

beforeAll(async () => {
  emu = await startEmulator({ clock, credentialTtlSeconds: 3600 });
});
afterEach(() => {
  emu.setAssociations(null);
  emu.resetStats();
});
afterAll(() => emu.stop());

describe('success', () => {
  test('answers the exact EKS Auth response shape with fresh credentials', async () => {
    const token = await emu.issueToken({ namespace: 'shop', serviceAccount: 'cart', podName: 'cart-7' });
    const res = await callAssumeRole(emu.url, token, { ...at(), clusterName: 'prod-1', region: 'eu-west-1' });
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('application/json');
    expect(res.headers.get('x-amzn-requestid')).toMatch(/^[0-9a-f-]{36}$/);
    const body = (await res.json()) as AssumeRoleOutput;
    expect(Object.keys(body).sort()).toEqual([
      'assumedRoleUser',
      'audience',
      'credentials',
      'podIdentityAssociation',
      'subject',
    ]);
    expect(body.subject).toEqual({ namespace: 'shop', serviceAccount: 'cart' });
    expect(body.audience).toBe('pods.eks.amazonaws.com');
    expect(body.podIdentityAssociation.associationId).toMatch(/^a-[a-z0-9]{17}$/);
    expect(body.podIdentityAssociation.associationArn).toBe(
      `arn:aws:eks:eu-west-1:111122223333:podidentityassociation/prod-1/${body.podIdentityAssociation.associationId}`,
    );
    expect(body.assumedRoleUser.arn).toMatch(
      /^arn:aws:sts::111122223333:assumed-role\/eks-pod-identity-shop-cart\/eks-prod-1-cart-7-[0-9a-f-]+$/,
    );
    const session = body.assumedRoleUser.arn.split('/')[2]!;
    expect(session.length).toBeLessThanOrEqual(64);
    expect(body.assumedRoleUser.assumeRoleId).toBe(
      `${body.assumedRoleUser.assumeRoleId.split(':')[0]}:${session}`,
    );
    expect(body.assumedRoleUser.assumeRoleId).toMatch(/^AROA[A-Z2-7]{17}:/);
    const c = body.credentials;
    expect(c.accessKeyId).toMatch(/^ASIA[A-Z2-7]{16}$/);
    expect(c.secretAccessKey).toHaveLength(40);
    expect(c.sessionToken.length).toBeGreaterThan(500);
    expect(c.expiration).toBe(Math.floor(clock.now() / 1000) + 3600);

    const again = (await (await callAssumeRole(emu.url, token, at())).json()) as AssumeRoleOutput;
    expect(again.credentials.accessKeyId).not.toBe(c.accessKeyId);
    expect(again.credentials.secretAccessKey).not.toBe(c.secretAccessKey);
    expect(again.credentials.sessionToken).not.toBe(c.sessionToken);
    expect(again.podIdentityAssociation.associationId).toBe(body.podIdentityAssociation.associationId);
    expect(emu.stats()).toMatchObject({ assumeRoleCalls: 2, succeeded: 2, failed: 0 });
  });

  test('default role names are truncated to 64 characters', async () => {
    const sa = 'a'.repeat(60);
    const token = await emu.issueToken({ namespace: 'ns', serviceAccount: sa });
    const body = (await (await callAssumeRole(emu.url, token, at())).json()) as AssumeRoleOutput;
    const role = body.assumedRoleUser.arn.split('/')[1];
    expect(role).toBe(`eks-pod-identity-ns-${sa}`.slice(0, 64));
    expect(role).toHaveLength(64);
  });

  test('explicit associations choose the role (path and account included); others get 404', async () => {
    emu.setAssociations([
      { namespace: 'shop', serviceAccount: 'cart', roleArn: 'arn:aws:iam::444455556666:role/team/cart-role' },
    ]);
    const ok = await callAssumeRole(
      emu.url,
      await emu.issueToken({ namespace: 'shop', serviceAccount: 'cart' }),
      at(),
    );
    const body = (await ok.json()) as AssumeRoleOutput;
    expect(body.assumedRoleUser.arn).toStartWith(
      'arn:aws:sts::444455556666:assumed-role/cart-role/eks-my-cluster-',
    );
    expect(body.podIdentityAssociation.associationArn).toContain(
      ':444455556666:podidentityassociation/my-cluster/',
    );

    const none = await callAssumeRole(
      emu.url,
      await emu.issueToken({ namespace: 'shop', serviceAccount: 'web' }),
      at(),
    );
    const err = await errorOf(none);
    expect(err).toMatchObject({ status: 404, code: 'ResourceNotFoundException' });
    expect(err.body.__type).toBe('ResourceNotFoundException');
    expect(err.body.message).toContain('shop/web');
    expect(emu.stats().byCode).toEqual({ ResourceNotFoundException: 1 });

    emu.setAssociations(null);
    const back = await callAssumeRole(
      emu.url,
      await emu.issueToken({ namespace: 'shop', serviceAccount: 'web' }),
      at(),
    );
    expect(back.status).toBe(200);
  });

  test('setAssociations rejects bad input with a clear message', () => {
    expect(() =>
      emu.setAssociations([{ namespace: 'a', serviceAccount: 'b', roleArn: 'not-an-arn' }]),
    ).toThrow(/roleArn must be an IAM role ARN/);
  });
});

describe('token and request failures', () => {
  const foreignKey = generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey;

  async function tokenWith(
    edit: (parts: { header: Record<string, unknown>; claims: Record<string, unknown> }) => void,
    key = foreignKey,
  ): Promise<string> {
    const good = await emu.issueToken({ namespace: 'default', serviceAccount: 'app' });
    const [h, p] = good.split('.') as [string, string];
    const parts = {
      header: JSON.parse(Buffer.from(h, 'base64url').toString()),
      claims: JSON.parse(Buffer.from(p, 'base64url').toString()),
    };
    edit(parts);
    const input = `${Buffer.from(JSON.stringify(parts.header)).toString('base64url')}.${Buffer.from(JSON.stringify(parts.claims)).toString('base64url')}`;
    return `${input}.${sign('sha256', Buffer.from(input), key).toString('base64url')}`;
  }

  test('expired token -> 400 ExpiredTokenException', async () => {
    const token = await emu.issueToken({
      namespace: 'default',
      serviceAccount: 'app',
      issuedAtOffsetSeconds: -7200,
      ttlSeconds: 3600,
    });
    expect(await errorOf(await callAssumeRole(emu.url, token, at()))).toMatchObject({
      status: 400,
      code: 'ExpiredTokenException',
    });
  });

  test('a token expires by the emulator clock', async () => {
    const token = await emu.issueToken({ namespace: 'default', serviceAccount: 'app', ttlSeconds: 600 });
    expect((await callAssumeRole(emu.url, token, at())).status).toBe(200);
    clock.advance(600_000);
    expect((await errorOf(await callAssumeRole(emu.url, token, at()))).code).toBe('ExpiredTokenException');
  });

  const invalid: [string, () => Promise<string>, RegExp][] = [
    ['signed by another key', () => tokenWith(() => {}), /signature verification failed/],
    ['another kid', () => tokenWith((t) => (t.header.kid = 'other')), /unknown signing key/],
    ['alg none', () => tokenWith((t) => (t.header.alg = 'none')), /alg must be RS256/],
    [
      'tampered claims',
      async () => {
        const [h, , s] = (await emu.issueToken({ namespace: 'default', serviceAccount: 'app' })).split('.');
        const claims = Buffer.from(
          JSON.stringify({ sub: 'system:serviceaccount:kube-system:admin' }),
        ).toString('base64url');
        return `${h}.${claims}.${s}`;
      },
      /signature verification failed/,
    ],
    [
      'wrong audience',
      () => emu.issueToken({ namespace: 'default', serviceAccount: 'app', audience: 'sts.amazonaws.com' }),
      /audience/,
    ],
    [
      'not yet valid',
      () => emu.issueToken({ namespace: 'default', serviceAccount: 'app', notBeforeOffsetSeconds: 300 }),
      /nbf/,
    ],
    ['not three segments', async () => 'abc.def', /three base64url segments/],
    ['too large', async () => `${'a'.repeat(3000)}.${'b'.repeat(3000)}.c`, /longer than 4096/],
    ['header not JSON', async () => 'aGVsbG8.aGVsbG8.aGVsbG8', /header is not base64url JSON/],
  ];
  for (const [name, make, message] of invalid) {
    test(`${name} -> 400 InvalidTokenException`, async () => {
      const err = await errorOf(await callAssumeRole(emu.url, await make(), at()));
      expect(err).toMatchObject({ status: 400, code: 'InvalidTokenException' });
      expect(err.body.message).toMatch(message);
    });
  }

  const badRequests: [string, Parameters<typeof callAssumeRole>[2], number, string][] = [
    ['missing token', { rawBody: '{}' }, 400, 'InvalidParameterException'],
    ['token not a string', { rawBody: '{"token": 5}' }, 400, 'InvalidParameterException'],
    ['body not JSON', { rawBody: 'token=abc' }, 400, 'InvalidRequestException'],
    ['body a JSON array', { rawBody: '[]' }, 400, 'InvalidRequestException'],
    [
      'body over 8 KiB',
      { rawBody: JSON.stringify({ token: 'x'.repeat(9000) }) },
      400,
      'InvalidRequestException',
    ],
    ['cluster name with a dot', { clusterName: 'bad.name' }, 400, 'InvalidParameterException'],
    ['cluster name over 100 chars', { clusterName: 'c'.repeat(101) }, 400, 'InvalidParameterException'],
  ];
  for (const [name, options, status, code] of badRequests) {
    test(`${name} -> ${status} ${code}`, async () => {
      const token = await emu.issueToken({ namespace: 'default', serviceAccount: 'app' });
      expect(await errorOf(await callAssumeRole(emu.url, token, { ...at(), ...options }))).toMatchObject({
        status,
        code,
      });
    });
  }

  test('error messages never echo the token', async () => {
    const token = await tokenWith(() => {});
    const res = await callAssumeRole(emu.url, token, at());
    const text = await res.text();
    expect(text).not.toContain(token.split('.')[2]!);
    expect(text).not.toContain(token.split('.')[1]!);
  });
});

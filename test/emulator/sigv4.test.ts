// SigV4 checks of the emulator: AWS test-suite vectors for the verifier, and each failure over real HTTP.
import { afterAll, beforeAll, describe, expect, test } from 'bun:test';
import { createManualClock } from '../../src/clock.ts';
import { canonicalQuery, canonicalUri } from '../../src/eks-auth/sigv4-canonical.ts';
import { type Emulator, startEmulator } from '../../src/emulator/index.ts';
import { createSigV4Verifier } from '../../src/emulator/sigv4-verifier.ts';
import { callAssumeRole, errorOf } from './signed-fetch.ts';

describe('verifier against the AWS SigV4 test suite', () => {
  // aws-sig-v4-test-suite: credentials, date and scope shared by every vector.
  const verify = createSigV4Verifier({
    accessKeyId: 'AKIDEXAMPLE',
    secretAccessKey: 'wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY',
    service: 'service',
  });
  const nowMs = Date.UTC(2015, 7, 30, 12, 36, 0);
  const vectors: [string, string, string, string][] = [
    ['get-vanilla', '/', '', '5fa00fa31553b73ebf1942676e86291e8372ff2a2260956d9b8aae1d763fbf31'],
    [
      'get-vanilla-query-order-key-case',
      '/',
      'Param2=value2&Param1=value1',
      'b97d918cfa904a5beff61c982a1b6f458b799221646efd99d3219ec94cdf2500',
    ],
  ];
  for (const [name, rawPath, rawQuery, signature] of vectors) {
    const headers = (sig: string) =>
      new Headers({
        host: 'example.amazonaws.com',
        'x-amz-date': '20150830T123600Z',
        authorization: `AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/service/aws4_request, SignedHeaders=host;x-amz-date, Signature=${sig}`,
      });
    test(name, () => {
      const req = { method: 'GET', rawPath, rawQuery, body: new Uint8Array(0), nowMs };
      expect(verify({ ...req, headers: headers(signature) })).toEqual({
        accessKeyId: 'AKIDEXAMPLE',
        region: 'us-east-1',
      });
      const flipped = signature.replace(/^./, (c) => (c === '0' ? '1' : '0'));
      expect(() => verify({ ...req, headers: headers(flipped) })).toThrow(
        /signature we calculated does not match/,
      );
    });
  }

  test('canonical URI and query encoding', () => {
    expect(canonicalUri('/clusters/my-cluster/assume-role-for-pod-identity')).toBe(
      '/clusters/my-cluster/assume-role-for-pod-identity',
    );
    expect(canonicalUri('/a/./b/../c//d/')).toBe('/a/c/d/');
    expect(canonicalUri('/a%20b')).toBe('/a%2520b');
    expect(canonicalQuery('b=2&a=1&a=0&c')).toBe('a=0&a=1&b=2&c=');
    expect(canonicalQuery('k=a%20b+c')).toBe('k=a%20b%20c');
  });
});

describe('over HTTP', () => {
  const clock = createManualClock(Date.now());
  const sessionToken = 'node-session-token-value';
  let emu: Emulator;
  let withToken: Emulator;
  let token: string;
  const at = () => ({ signingDate: new Date(clock.now()) });

  beforeAll(async () => {
    [emu, withToken] = await Promise.all([startEmulator({ clock }), startEmulator({ clock, sessionToken })]);
    token = await emu.issueToken({ namespace: 'default', serviceAccount: 'app' });
  });
  afterAll(async () => {
    await Promise.all([emu.stop(), withToken.stop()]);
  });

  const failures: [string, Parameters<typeof callAssumeRole>[2], number, string, RegExp][] = [
    [
      'unknown access key',
      { accessKeyId: 'AKIAEXAMPLEUNKNOWN00' },
      403,
      'UnrecognizedClientException',
      /invalid/,
    ],
    ['wrong secret key', { secretAccessKey: 'wrong' }, 403, 'InvalidSignatureException', /does not match/],
    [
      'body changed after signing',
      { tamperBody: (b) => b.replace('{', '{ ') },
      403,
      'InvalidSignatureException',
      /does not match/,
    ],
    [
      'wrong service in scope',
      { service: 'sts' },
      403,
      'InvalidSignatureException',
      /scoped to correct service: 'eks-auth'/,
    ],
    [
      'signed 6 minutes ago',
      { signingDate: new Date(clock.now() - 6 * 60_000) },
      403,
      'InvalidSignatureException',
      /^Signature expired/,
    ],
    [
      'signed 6 minutes ahead',
      { signingDate: new Date(clock.now() + 6 * 60_000) },
      403,
      'InvalidSignatureException',
      /not yet current/,
    ],
  ];
  for (const [name, options, status, code, message] of failures) {
    test(`${name} -> ${status} ${code}`, async () => {
      const err = await errorOf(await callAssumeRole(emu.url, token, { ...at(), ...options }));
      expect(err).toMatchObject({ status, code });
      expect(err.body.__type).toBe(code);
      expect(err.body.message).toMatch(message);
    });
  }

  test('any region is accepted; 4 minutes of skew is tolerated', async () => {
    for (const region of ['us-east-1', 'ap-southeast-2', 'eu-central-1']) {
      expect((await callAssumeRole(emu.url, token, { ...at(), region })).status).toBe(200);
    }
    const skewed = { signingDate: new Date(clock.now() - 4 * 60_000) };
    expect((await callAssumeRole(emu.url, token, skewed)).status).toBe(200);
  });

  test('unsigned requests -> 403 MissingAuthenticationTokenException', async () => {
    const res = await fetch(`${emu.url}/clusters/c/assume-role-for-pod-identity`, {
      method: 'POST',
      body: JSON.stringify({ token }),
    });
    expect(await errorOf(res)).toMatchObject({ status: 403, code: 'MissingAuthenticationTokenException' });
  });

  test('a malformed Authorization header -> 400 IncompleteSignatureException', async () => {
    const res = await fetch(`${emu.url}/clusters/c/assume-role-for-pod-identity`, {
      method: 'POST',
      headers: { authorization: 'AWS4-HMAC-SHA256 Credential=AKIAIOSFODNN7EXAMPLE/x' },
      body: '{}',
    });
    expect(await errorOf(res)).toMatchObject({ status: 400, code: 'IncompleteSignatureException' });
  });

  test('x-amz-security-token is signed and checked when the emulator expects one', async () => {
    expect((await callAssumeRole(emu.url, token, { ...at(), sessionToken: 'anything' })).status).toBe(200);
    const t = await withToken.issueToken({ namespace: 'default', serviceAccount: 'app' });
    expect((await callAssumeRole(withToken.url, t, { ...at(), sessionToken })).status).toBe(200);
    expect(
      await errorOf(await callAssumeRole(withToken.url, t, { ...at(), sessionToken: 'other' })),
    ).toMatchObject({
      status: 403,
      code: 'UnrecognizedClientException',
    });
    expect((await errorOf(await callAssumeRole(withToken.url, t, at()))).code).toBe(
      'UnrecognizedClientException',
    );
  });

  test('auth failures are counted and never echo the secret', async () => {
    emu.resetStats();
    const res = await callAssumeRole(emu.url, token, { ...at(), secretAccessKey: 'my-secret-value' });
    expect(await res.text()).not.toContain('my-secret-value');
    expect(emu.stats()).toMatchObject({
      assumeRoleCalls: 1,
      failed: 1,
      byCode: { InvalidSignatureException: 1 },
    });
  });
});

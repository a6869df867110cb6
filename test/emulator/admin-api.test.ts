// The admin API over HTTP: each endpoint, its effect on the emulator, and input validation.
import { afterAll, afterEach, beforeAll, describe, expect, test } from 'bun:test';
import { type Emulator, startEmulator } from '../../src/emulator/index.ts';
import { callAssumeRole, errorOf } from './signed-fetch.ts';

let emu: Emulator;

beforeAll(async () => {
  emu = await startEmulator();
});
afterEach(() => {
  emu.resetFaults();
  emu.resetStats();
  emu.setAssociations(null);
});
afterAll(() => emu.stop());

function admin(method: string, path: string, body?: unknown): Promise<Response> {
  return fetch(`${emu.url}/_emulator/${path}`, {
    method,
    headers: { 'content-type': 'application/json' },
    ...(body === undefined ? {} : { body: typeof body === 'string' ? body : JSON.stringify(body) }),
  });
}

async function tokenVia(request: unknown): Promise<string> {
  const res = await admin('POST', 'tokens', request);
  expect(res.status).toBe(200);
  return ((await res.json()) as { token: string }).token;
}

describe('endpoints', () => {
  test('POST tokens issues a token EKS Auth accepts', async () => {
    const token = await tokenVia({
      namespace: 'default',
      serviceAccount: 'app',
      podName: 'app-1',
      podUid: 'uid-1',
    });
    const res = await callAssumeRole(emu.url, token);
    expect(res.status).toBe(200);
    expect(((await res.json()) as { subject: unknown }).subject).toEqual({
      namespace: 'default',
      serviceAccount: 'app',
    });
  });

  test('GET stats counts calls; DELETE stats resets them', async () => {
    const token = await tokenVia({ namespace: 'default', serviceAccount: 'app' });
    await callAssumeRole(emu.url, token);
    await callAssumeRole(emu.url, token, { secretAccessKey: 'wrong' });
    expect(await (await admin('GET', 'stats')).json()).toEqual({
      assumeRoleCalls: 2,
      succeeded: 1,
      failed: 1,
      throttled: 0,
      byCode: { InvalidSignatureException: 1 },
    });
    expect((await admin('DELETE', 'stats')).status).toBe(200);
    expect(
      ((await (await admin('GET', 'stats')).json()) as { assumeRoleCalls: number }).assumeRoleCalls,
    ).toBe(0);
  });

  test('PUT faults applies them, GET shows them, DELETE removes them', async () => {
    const token = await tokenVia({ namespace: 'default', serviceAccount: 'app' });
    const put = await admin('PUT', 'faults', { failWith: 'ThrottlingException' });
    expect(await put.json()).toEqual({ failWith: 'ThrottlingException' });
    expect(await (await admin('GET', 'faults')).json()).toEqual({ failWith: 'ThrottlingException' });
    expect((await errorOf(await callAssumeRole(emu.url, token))).code).toBe('ThrottlingException');
    expect(await (await admin('DELETE', 'faults')).json()).toEqual({});
    expect((await callAssumeRole(emu.url, token)).status).toBe(200);
  });

  test('PUT associations restricts roles; DELETE restores the default mapping', async () => {
    const list = [
      { namespace: 'default', serviceAccount: 'app', roleArn: 'arn:aws:iam::123456789012:role/app' },
    ];
    expect(await (await admin('PUT', 'associations', list)).json()).toEqual({ associations: list });
    const app = await callAssumeRole(
      emu.url,
      await tokenVia({ namespace: 'default', serviceAccount: 'app' }),
    );
    expect(((await app.json()) as { assumedRoleUser: { arn: string } }).assumedRoleUser.arn).toStartWith(
      'arn:aws:sts::123456789012:assumed-role/app/',
    );
    const other = await tokenVia({ namespace: 'default', serviceAccount: 'other' });
    expect((await errorOf(await callAssumeRole(emu.url, other))).status).toBe(404);
    expect(await (await admin('DELETE', 'associations')).json()).toEqual({ associations: null });
    expect((await callAssumeRole(emu.url, other)).status).toBe(200);
  });

  test('issuer discovery and JWKS', async () => {
    const config = (await (await fetch(`${emu.url}/.well-known/openid-configuration`)).json()) as Record<
      string,
      string
    >;
    expect(config.issuer).toBe(emu.url);
    const jwks = (await (await fetch(config.jwks_uri!)).json()) as { keys: Record<string, string>[] };
    expect(jwks.keys).toHaveLength(1);
    expect(jwks.keys[0]).toMatchObject({ kty: 'RSA', alg: 'RS256', use: 'sig', e: 'AQAB' });
    // 2048-bit modulus: 256 bytes.
    expect(Buffer.from(jwks.keys[0]!.n!, 'base64url')).toHaveLength(256);
  });

  test('unknown paths and methods', async () => {
    expect((await admin('GET', 'nothing')).status).toBe(404);
    expect((await admin('GET', 'constructor')).status).toBe(404);
    const wrongMethod = await admin('GET', 'tokens');
    expect(wrongMethod.status).toBe(405);
    expect(wrongMethod.headers.get('allow')).toBe('POST');
    const api = await fetch(`${emu.url}/clusters/c/assume-role-for-pod-identity`);
    expect(await errorOf(api)).toMatchObject({ status: 404, code: 'UnknownOperationException' });
    expect((await fetch(`${emu.url}/`)).headers.get('x-amzn-requestid')).toBeTruthy();
  });
});

describe('input validation -> 400 with a clear message', () => {
  const cases: [string, string, string, unknown, RegExp][] = [
    ['tokens: not JSON', 'POST', 'tokens', '{nope', /not valid JSON/],
    ['tokens: missing serviceAccount', 'POST', 'tokens', { namespace: 'default' }, /serviceAccount/],
    [
      'tokens: bad ttl',
      'POST',
      'tokens',
      { namespace: 'a', serviceAccount: 'b', ttlSeconds: 'long' },
      /ttlSeconds/,
    ],
    ['faults: unknown code', 'PUT', 'faults', { failWith: 'Boom' }, /failWith must be one of/],
    ['faults: array', 'PUT', 'faults', [], /faults must be a JSON object/],
    ['associations: object', 'PUT', 'associations', { namespace: 'a' }, /must be a JSON array/],
    [
      'associations: bad arn',
      'PUT',
      'associations',
      [{ namespace: 'a', serviceAccount: 'b', roleArn: 'x' }],
      /roleArn/,
    ],
    [
      'associations: duplicate',
      'PUT',
      'associations',
      [
        { namespace: 'a', serviceAccount: 'b', roleArn: 'arn:aws:iam::123456789012:role/r' },
        { namespace: 'a', serviceAccount: 'b', roleArn: 'arn:aws:iam::123456789012:role/s' },
      ],
      /duplicate association for a\/b/,
    ],
    [
      'associations: too many',
      'PUT',
      'associations',
      Array.from({ length: 1001 }, (_, i) => ({
        namespace: 'a',
        serviceAccount: `s${i}`,
        roleArn: 'arn:aws:iam::123456789012:role/r',
      })),
      /at most 1000/,
    ],
    ['body too large', 'PUT', 'faults', `{"x":"${'y'.repeat(600 * 1024)}"}`, /larger than/],
  ];
  for (const [name, method, path, body, message] of cases) {
    test(name, async () => {
      const res = await admin(method, path, body);
      expect(res.status).toBe(400);
      expect(res.headers.get('content-type')).toBe('application/json');
      const json = (await res.json()) as { message: string };
      expect(json.message).toMatch(message);
    });
  }

  test('rejected input leaves the previous state in place', async () => {
    await admin('PUT', 'faults', { failWith: 'ThrottlingException' });
    await admin('PUT', 'faults', { failWith: 'Boom' });
    expect(await (await admin('GET', 'faults')).json()).toEqual({ failWith: 'ThrottlingException' });
  });
});

// SigV4 signing checked against AWS's published test-suite vectors, the AWS SDK's own signer
// (@smithy/signature-v4) and an independent signer written here.
import { describe, expect, test } from 'bun:test';
import { createHash, createHmac } from 'node:crypto';
import { Sha256 } from '@aws-crypto/sha256-js';
import { SignatureV4 } from '@smithy/signature-v4';
import { createRequestSigner } from '../../src/eks-auth/signer.ts';

// The AWS SigV4 test suite's credentials and date (aws-sig-v4-test-suite, "get-vanilla"/"post-vanilla").
const SUITE_CREDS = {
  accessKeyId: 'AKIDEXAMPLE',
  secretAccessKey: 'wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY',
};
const SUITE_DATE = new Date(Date.UTC(2015, 7, 30, 12, 36, 0));

function signatureOf(authorization: string | undefined): string | undefined {
  return authorization?.match(/Signature=([0-9a-f]{64})$/)?.[1];
}

describe('SigV4 test-suite vectors', () => {
  /** Signs the suite's request (no headers, empty body) with its credentials, region, service and date. */
  const signSuite = (method: string) =>
    createRequestSigner({ region: 'us-east-1', service: 'service', credentials: async () => SUITE_CREDS })(
      { method, url: new URL('https://example.amazonaws.com/'), headers: {} },
      SUITE_DATE,
    );

  test('get-vanilla', async () => {
    const headers = await signSuite('GET');
    expect(headers['x-amz-date']).toBe('20150830T123600Z');
    expect(headers['authorization']).toBe(
      'AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/service/aws4_request, ' +
        'SignedHeaders=host;x-amz-date, ' +
        'Signature=5fa00fa31553b73ebf1942676e86291e8372ff2a2260956d9b8aae1d763fbf31',
    );
  });
  test('post-vanilla', async () => {
    const headers = await signSuite('POST');
    expect(signatureOf(headers['authorization'])).toBe(
      '5da7c1a2acd57cee7505fc6676e4e544621c30862966e37dddb68e92efbe5d6b',
    );
  });
});

/** An independent SigV4 signer, written from the specification, for the exact EKS Auth request shape. */
function referenceSign(opts: {
  method: string;
  host: string;
  path: string;
  headers: Record<string, string>;
  body: string;
  region: string;
  service: string;
  accessKeyId: string;
  secretAccessKey: string;
  date: Date;
}): string {
  const amzDate = opts.date
    .toISOString()
    .replace(/[-:]/g, '')
    .replace(/\.\d{3}/, '');
  const day = amzDate.slice(0, 8);
  const all: Record<string, string> = { ...opts.headers, host: opts.host, 'x-amz-date': amzDate };
  const names = Object.keys(all)
    .map((n) => n.toLowerCase())
    .sort();
  const lower = Object.fromEntries(Object.entries(all).map(([k, v]) => [k.toLowerCase(), v.trim()]));
  const canonicalHeaders = names.map((n) => `${n}:${lower[n]}\n`).join('');
  // Non-S3 services double-encode the path: each segment of the already-encoded path is encoded again.
  const canonicalPath = opts.path
    .split('/')
    .map((s) => encodeURIComponent(s))
    .join('/');
  const sha = (s: string) => createHash('sha256').update(s).digest('hex');
  const canonical = [opts.method, canonicalPath, '', canonicalHeaders, names.join(';'), sha(opts.body)].join(
    '\n',
  );
  const scope = `${day}/${opts.region}/${opts.service}/aws4_request`;
  const toSign = ['AWS4-HMAC-SHA256', amzDate, scope, sha(canonical)].join('\n');
  const hmac = (key: string | Buffer, s: string) => createHmac('sha256', key).update(s).digest();
  let key = hmac(`AWS4${opts.secretAccessKey}`, day);
  for (const part of [opts.region, opts.service, 'aws4_request']) key = hmac(key, part);
  const signature = createHmac('sha256', key).update(toSign).digest('hex');
  return `AWS4-HMAC-SHA256 Credential=${opts.accessKeyId}/${scope}, SignedHeaders=${names.join(';')}, Signature=${signature}`;
}

describe('EKS Auth request signing', () => {
  const creds = {
    accessKeyId: 'AKIAIOSFODNN7EXAMPLE',
    secretAccessKey: 'wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY',
  };
  const body = JSON.stringify({ token: 'aaa.bbb.ccc' });

  const cases = [
    {
      name: 'default endpoint',
      url: 'https://eks-auth.us-west-2.api.aws/clusters/my-cluster/assume-role-for-pod-identity',
    },
    { name: 'loopback with port', url: 'http://127.0.0.1:45678/clusters/c_1/assume-role-for-pod-identity' },
    {
      name: 'encoded cluster name',
      url: `http://localhost:8080/clusters/${encodeURIComponent('a b%')}/assume-role-for-pod-identity`,
    },
  ];
  for (const c of cases) {
    test(`matches the independent signer: ${c.name}`, async () => {
      const date = new Date(Date.UTC(2026, 10, 28, 12, 34, 56));
      const sign = createRequestSigner({ region: 'us-west-2', credentials: async () => creds });
      const url = new URL(c.url);
      const headers = await sign(
        { method: 'POST', url, headers: { 'content-type': 'application/json' }, body },
        date,
      );
      expect(headers['authorization']).toBe(
        referenceSign({
          method: 'POST',
          host: url.host,
          path: url.pathname,
          headers: { 'content-type': 'application/json' },
          body,
          region: 'us-west-2',
          service: 'eks-auth',
          ...creds,
          date,
        }),
      );
      expect(headers['authorization']).toContain('SignedHeaders=content-type;host;x-amz-date,');
      expect(headers['x-amz-content-sha256']).toBeUndefined();
    });
  }

  test('temporary node credentials add and sign x-amz-security-token', async () => {
    const date = new Date(Date.UTC(2026, 0, 2, 3, 4, 5));
    const temp = { ...creds, sessionToken: 'node-session-token' };
    const sign = createRequestSigner({ region: 'eu-west-1', credentials: async () => temp });
    const url = new URL('https://eks-auth.eu-west-1.api.aws/clusters/x/assume-role-for-pod-identity');
    const headers = await sign(
      { method: 'POST', url, headers: { 'content-type': 'application/json' }, body },
      date,
    );
    expect(headers['x-amz-security-token']).toBe('node-session-token');
    expect(headers['authorization']).toBe(
      referenceSign({
        method: 'POST',
        host: url.host,
        path: url.pathname,
        headers: { 'content-type': 'application/json', 'x-amz-security-token': 'node-session-token' },
        body,
        region: 'eu-west-1',
        service: 'eks-auth',
        ...creds,
        date,
      }),
    );
  });

  test('a different secret key gives a different signature', async () => {
    const date = new Date(Date.UTC(2026, 0, 2, 3, 4, 5));
    const url = new URL('https://eks-auth.eu-west-1.api.aws/clusters/x/assume-role-for-pod-identity');
    const req = { method: 'POST', url, headers: { 'content-type': 'application/json' }, body };
    const a = await createRequestSigner({ region: 'eu-west-1', credentials: async () => creds })(req, date);
    const b = await createRequestSigner({
      region: 'eu-west-1',
      credentials: async () => ({ ...creds, secretAccessKey: `${creds.secretAccessKey}x` }),
    })(req, date);
    expect(signatureOf(a['authorization'])).not.toBe(signatureOf(b['authorization']));
  });
});

describe('agrees with the AWS SDK signer (@smithy/signature-v4)', () => {
  const creds = {
    accessKeyId: 'AKIAIOSFODNN7EXAMPLE',
    secretAccessKey: 'wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY',
  };
  const cases = [
    {
      name: 'long-term credentials',
      url: 'https://eks-auth.us-west-2.api.aws/clusters/c/assume-role-for-pod-identity',
    },
    {
      name: 'temporary credentials, port, encoded name',
      url: `http://127.0.0.1:8443/clusters/${encodeURIComponent('a b%+')}/assume-role-for-pod-identity`,
      sessionToken: 'node-session-token',
    },
  ];
  for (const c of cases) {
    test(c.name, async () => {
      const identity = { ...creds, ...(c.sessionToken ? { sessionToken: c.sessionToken } : {}) };
      const url = new URL(c.url);
      const body = JSON.stringify({ token: 'aaa.bbb.ccc' });
      const headers = { 'content-type': 'application/json', 'user-agent': 'eks-pod-identity-agent/test' };
      const sdk = new SignatureV4({
        service: 'eks-auth',
        region: 'us-west-2',
        credentials: async () => identity,
        sha256: Sha256,
        uriEscapePath: true,
        applyChecksum: false,
      });
      const sign = createRequestSigner({ region: 'us-west-2', credentials: async () => identity });
      // Two days in a row through one signer: the second must not reuse the first day's signing key.
      for (const date of [
        new Date(Date.UTC(2026, 10, 30, 23, 59, 59)),
        new Date(Date.UTC(2026, 11, 1, 0, 0, 1)),
      ]) {
        const expected = await sdk.sign(
          {
            method: 'POST',
            protocol: url.protocol,
            hostname: url.hostname,
            port: url.port === '' ? undefined : Number(url.port),
            path: url.pathname,
            query: {},
            headers: { ...headers, host: url.host },
            body,
          },
          { signingDate: date },
        );
        const ours = await sign({ method: 'POST', url, headers, body }, date);
        expect(ours).toEqual(expected.headers);
      }
    });
  }
});

// Parsing of AssumeRoleForPodIdentity 200 answers: valid shapes and every way one can be malformed.
import { describe, expect, test } from 'bun:test';
import { EksAuthError } from '../../src/eks-auth/errors.ts';
import { MAX_EXPIRATION_EPOCH_SECONDS, parseAssumeRoleResponse } from '../../src/eks-auth/parse-response.ts';

// biome-ignore lint/suspicious/noExplicitAny: the tests below delete and retype members of a JSON document
type Doc = Record<string, any>;

function valid(): Doc {
  return {
    subject: { namespace: 'default', serviceAccount: 'my-sa' },
    audience: 'pods.eks.amazonaws.com',
    podIdentityAssociation: {
      associationArn: 'arn:aws:eks:us-west-2:123456789012:podidentityassociation/c/a-1',
      associationId: 'a-1',
    },
    assumedRoleUser: {
      arn: 'arn:aws:sts::123456789012:assumed-role/my-role/eks-c-my-sa-uuid',
      assumeRoleId: 'AROAEXAMPLE:eks-c',
    },
    credentials: {
      sessionToken: 'ST',
      secretAccessKey: 'SK',
      accessKeyId: 'ASIAEXAMPLE',
      expiration: 1764331200.5,
    },
  };
}

function malformedMessage(body: string): string {
  try {
    parseAssumeRoleResponse(body, 'rid');
  } catch (err) {
    expect(err).toBeInstanceOf(EksAuthError);
    const e = err as EksAuthError;
    expect([e.code, e.kind, e.status, e.retryable, e.requestId]).toEqual([
      'UpstreamMalformedResponse',
      'malformed',
      502,
      true,
      'rid',
    ]);
    return e.message;
  }
  throw new Error('expected a malformed-response error');
}

describe('parseAssumeRoleResponse', () => {
  test('valid response with fractional epoch seconds', () => {
    const r = parseAssumeRoleResponse(JSON.stringify(valid()), 'rid-9');
    expect(r.credentials.expiration.getTime()).toBe(1764331200500);
    expect(r.accountId).toBe('123456789012');
    expect(r.credentials.accessKeyId).toBe('ASIAEXAMPLE');
    expect(r.credentials.secretAccessKey).toBe('SK');
    expect(r.credentials.sessionToken).toBe('ST');
    expect(r.subject).toEqual({ namespace: 'default', serviceAccount: 'my-sa' });
    expect(r.podIdentityAssociation.associationId).toBe('a-1');
    expect(r.assumedRoleUser.assumeRoleId).toBe('AROAEXAMPLE:eks-c');
    expect(r.audience).toBe('pods.eks.amazonaws.com');
    expect(r.requestId).toBe('rid-9');
  });

  test('ISO expiration accepted', () => {
    const body = valid();
    body.credentials.expiration = '2026-11-28T18:00:00Z';
    expect(
      parseAssumeRoleResponse(JSON.stringify(body), undefined).credentials.expiration.toISOString(),
    ).toBe('2026-11-28T18:00:00.000Z');
  });

  test('ISO expiration with an offset is converted to UTC; the last second of year 9999 is accepted', () => {
    const body = valid();
    body.credentials.expiration = '2026-11-28T18:00:00+02:00';
    expect(
      parseAssumeRoleResponse(JSON.stringify(body), undefined).credentials.expiration.toISOString(),
    ).toBe('2026-11-28T16:00:00.000Z');
    body.credentials.expiration = MAX_EXPIRATION_EPOCH_SECONDS;
    expect(
      parseAssumeRoleResponse(JSON.stringify(body), undefined).credentials.expiration.toISOString(),
    ).toBe('9999-12-31T23:59:59.000Z');
  });

  test('other partitions give their account', () => {
    const body = valid();
    body.assumedRoleUser.arn = 'arn:aws-cn:sts::210987654321:assumed-role/r/s';
    expect(parseAssumeRoleResponse(JSON.stringify(body), undefined).accountId).toBe('210987654321');
  });

  const broken: Array<[string, (b: Doc) => void, string[]]> = [
    ['missing credentials', (b) => delete b.credentials, ['credentials']],
    ['missing assumedRoleUser', (b) => delete b.assumedRoleUser, ['assumedRoleUser']],
    ['missing subject', (b) => delete b.subject, ['subject']],
    ['missing association', (b) => delete b.podIdentityAssociation, ['podIdentityAssociation']],
    ['missing audience', (b) => delete b.audience, ['audience']],
    ['credentials is an array', (b) => (b.credentials = []), ['credentials']],
    ['sessionToken missing', (b) => delete b.credentials.sessionToken, ['credentials.sessionToken']],
    ['accessKeyId a number', (b) => (b.credentials.accessKeyId = 5), ['credentials.accessKeyId']],
    ['secret empty', (b) => (b.credentials.secretAccessKey = ''), ['credentials.secretAccessKey']],
    ['expiration missing', (b) => delete b.credentials.expiration, ['credentials.expiration']],
    ['expiration garbage', (b) => (b.credentials.expiration = 'tomorrow'), ['credentials.expiration']],
    ['expiration NaN-ish', (b) => (b.credentials.expiration = null), ['credentials.expiration']],
    // Absurd expirations (issue 13): past Date's range (was a RangeError and a 500), past year 9999 (was
    // served as "+033658-09-27T01:46:40Z"), before the epoch, and text without an offset (was local time).
    [
      'expiration past Date range',
      (b) => (b.credentials.expiration = 8.64e12 + 1),
      ['credentials.expiration'],
    ],
    ['expiration in year 33658', (b) => (b.credentials.expiration = 1e12), ['credentials.expiration']],
    [
      'expiration year 10000',
      (b) => (b.credentials.expiration = 253_402_300_800),
      ['credentials.expiration'],
    ],
    ['expiration negative', (b) => (b.credentials.expiration = -1), ['credentials.expiration']],
    ['expiration infinite-ish', (b) => (b.credentials.expiration = 1e308), ['credentials.expiration']],
    [
      'expiration without offset',
      (b) => (b.credentials.expiration = '2026-11-28T18:00:00'),
      ['credentials.expiration'],
    ],
    [
      'expiration on a day the month lacks',
      (b) => (b.credentials.expiration = '2026-02-30T18:00:00Z'),
      ['credentials.expiration'],
    ],
    [
      'expiration text too long',
      (b) => (b.credentials.expiration = `2026-11-28T18:00:00.${'1'.repeat(60)}Z`),
      ['credentials.expiration'],
    ],
    ['bad arn', (b) => (b.assumedRoleUser.arn = 'not-an-arn'), ['assumedRoleUser.arn']],
    [
      'short account',
      (b) => (b.assumedRoleUser.arn = 'arn:aws:sts::1234:assumed-role/r/s'),
      ['assumedRoleUser.arn'],
    ],
    [
      'several at once',
      (b) => {
        delete b.audience;
        delete b.subject.namespace;
        b.credentials.expiration = 'x';
      },
      ['subject.namespace', 'audience', 'credentials.expiration'],
    ],
  ];
  for (const [name, mutate, names] of broken) {
    test(`malformed: ${name}`, () => {
      const body = valid();
      mutate(body);
      const message = malformedMessage(JSON.stringify(body));
      for (const n of names) expect(message).toContain(n);
      // Never echo credential values into the message.
      expect(message).not.toContain('SK');
      expect(message).not.toContain('"ST"');
    });
  }

  test('invalid JSON', () => expect(malformedMessage('{"credentials":')).toContain('not valid JSON'));
  test('JSON that is not an object', () => expect(malformedMessage('[1,2]')).toContain('not a JSON object'));
  test('null', () => expect(malformedMessage('null')).toContain('not a JSON object'));
});

// Cheap claim checks: table-driven cases plus properties (only AgentError, never echoes its input).
import { describe, expect, test } from 'bun:test';
import fc from 'fast-check';
import { AgentError } from '../../src/errors.ts';
import { MAX_TOKEN_LENGTH } from '../../src/shared/token-bound.ts';
import { CLOCK_SKEW_SECONDS, parseTokenClaims } from '../../src/token/token-claims.ts';

const NOW = 1_800_000_000;
const b64 = (v: unknown) => Buffer.from(typeof v === 'string' ? v : JSON.stringify(v)).toString('base64url');
const jwt = (payload: unknown, header: unknown = { alg: 'RS256', kid: 'k1' }, sig = 'c2ln') =>
  `${b64(header)}.${b64(payload)}.${sig}`;

const k8sPayload = {
  iss: 'https://issuer.example',
  sub: 'system:serviceaccount:team-a:app',
  aud: ['pods.eks.amazonaws.com'],
  exp: NOW + 3600,
  nbf: NOW - 10,
  iat: NOW - 10,
  'kubernetes.io': {
    namespace: 'team-a',
    serviceaccount: { name: 'app', uid: 'sa-uid' },
    pod: { name: 'app-7d4', uid: 'pod-uid-1' },
  },
};

function rejection(fn: () => unknown): AgentError {
  try {
    fn();
  } catch (err) {
    expect(err).toBeInstanceOf(AgentError);
    return err as AgentError;
  }
  throw new Error('expected a rejection');
}

describe('parseTokenClaims', () => {
  test('reads registered and kubernetes.io claims', () => {
    expect(parseTokenClaims(jwt(k8sPayload), NOW)).toEqual({
      iss: 'https://issuer.example',
      sub: 'system:serviceaccount:team-a:app',
      aud: ['pods.eks.amazonaws.com'],
      exp: NOW + 3600,
      nbf: NOW - 10,
      iat: NOW - 10,
      namespace: 'team-a',
      serviceAccount: 'app',
      podName: 'app-7d4',
      podUid: 'pod-uid-1',
    });
  });

  test('a string aud becomes a one-element list; kubernetes.io claims are optional', () => {
    const claims = parseTokenClaims(jwt({ exp: NOW + 5, aud: 'x' }), NOW);
    expect(claims.aud).toEqual(['x']);
    expect(claims.namespace).toBeUndefined();
    expect(claims.podUid).toBeUndefined();
  });

  test('time claims honour the skew in both directions', () => {
    expect(() => parseTokenClaims(jwt({ exp: NOW - CLOCK_SKEW_SECONDS + 1 }), NOW)).not.toThrow();
    expect(() => parseTokenClaims(jwt({ exp: NOW + 1, nbf: NOW + CLOCK_SKEW_SECONDS }), NOW)).not.toThrow();
    expect(() => parseTokenClaims(jwt({ exp: NOW + 1, iat: NOW + CLOCK_SKEW_SECONDS }), NOW)).not.toThrow();
  });

  const cases: [string, string, string][] = [
    ['empty', '', 'token is empty'],
    [
      'two segments',
      `${b64({ alg: 'RS256' })}.${b64({ exp: NOW })}`,
      'token is not a JWT: expected three segments',
    ],
    ['four segments', `${jwt(k8sPayload)}.x`, 'token is not a JWT: expected three segments'],
    [
      'too long',
      `a.${'b'.repeat(MAX_TOKEN_LENGTH)}.c`,
      `token is longer than ${MAX_TOKEN_LENGTH} characters`,
    ],
    ['bad base64 header', `a*b.${b64({ exp: NOW })}.c2ln`, 'token header is not valid base64url'],
    [
      'impossible base64 length',
      `${b64({ alg: 'RS256' })}.abcde.c2ln`,
      'token payload is not valid base64url',
    ],
    ['payload not JSON', `${b64({ alg: 'RS256' })}.${b64('{nope')}.c2ln`, 'token payload is not valid JSON'],
    ['payload an array', jwt([1, 2]), 'token payload is not a JSON object'],
    ['payload a number', jwt(42), 'token payload is not a JSON object'],
    ['payload null', jwt(null), 'token payload is not a JSON object'],
    ['header without alg', jwt({ exp: NOW + 5 }, { typ: 'JWT' }), 'token header has no alg'],
    ['numeric kid', jwt({ exp: NOW + 5 }, { alg: 'RS256', kid: 7 }), 'token header kid is not a string'],
    [
      'bad signature chars',
      jwt({ exp: NOW + 5 }, undefined, 's!g'),
      'token signature is not valid base64url',
    ],
    ['no exp', jwt({ sub: 'x' }), 'token has no exp claim'],
    ['exp as string', jwt({ exp: String(NOW + 5) }), 'token claim exp is not a number'],
    ['iat as string', jwt({ exp: NOW + 5, iat: 'soon' }), 'token claim iat is not a number'],
    ['expired', jwt({ exp: NOW - CLOCK_SKEW_SECONDS }), 'token is expired'],
    [
      'not yet valid',
      jwt({ exp: NOW + 900, nbf: NOW + CLOCK_SKEW_SECONDS + 1 }),
      'token is not valid yet (nbf)',
    ],
    ['issued in the future', jwt({ exp: NOW + 900, iat: NOW + 600 }), 'token is issued in the future'],
    [
      'aud of numbers',
      jwt({ exp: NOW + 5, aud: [1] }),
      'token claim aud is not a string or a list of strings',
    ],
    ['sub an object', jwt({ exp: NOW + 5, sub: {} }), 'token claim sub is not a string'],
    [
      'k8s claim a string',
      jwt({ exp: NOW + 5, 'kubernetes.io': 'x' }),
      'token claim kubernetes.io is not an object',
    ],
    [
      'pod uid a number',
      jwt({ exp: NOW + 5, 'kubernetes.io': { pod: { name: 'p', uid: 5 } } }),
      'token claim kubernetes.io.pod.uid is not a string',
    ],
    [
      'unterminated nesting',
      `${b64({ alg: 'RS256' })}.${b64('['.repeat(4000))}.c2ln`,
      'token payload is not valid JSON',
    ],
  ];
  test.each(cases)('%s -> InvalidToken', (_name, token, message) => {
    const err = rejection(() => parseTokenClaims(token, NOW));
    expect(err.code).toBe('InvalidToken');
    expect(err.status).toBe(400);
    expect(err.message).toBe(message);
  });

  test('deeply nested JSON within the length bound is handled without a crash', () => {
    const deep = `${'{"a":'.repeat(700)}1${'}'.repeat(700)}`;
    const token = `${b64({ alg: 'RS256' })}.${b64(deep)}.c2ln`;
    expect(token.length).toBeLessThanOrEqual(MAX_TOKEN_LENGTH);
    expect(rejection(() => parseTokenClaims(token, NOW)).code).toBe('InvalidToken');
  });

  test('property: arbitrary strings only ever fail with InvalidToken, never echoing input', () => {
    fc.assert(
      fc.property(fc.string({ maxLength: 300 }), (input) => {
        try {
          parseTokenClaims(input, NOW);
        } catch (err) {
          expect(err).toBeInstanceOf(AgentError);
          expect((err as AgentError).code).toBe('InvalidToken');
          if (input.length >= 6) expect((err as AgentError).message).not.toContain(input);
        }
      }),
      { numRuns: 2000 },
    );
  });

  test('property: arbitrary JSON payloads never leak claim values into messages', () => {
    const secret = fc.string({ minLength: 8, maxLength: 40 }).map((s) => `SECRET${s}`);
    fc.assert(
      fc.property(fc.jsonValue({ maxDepth: 4 }), secret, fc.boolean(), (value, marker, wrap) => {
        const payload = wrap ? { exp: marker, sub: marker, nested: value } : value;
        const token = jwt(payload, { alg: marker, kid: marker });
        try {
          parseTokenClaims(token, NOW);
        } catch (err) {
          expect(err).toBeInstanceOf(AgentError);
          const message = (err as AgentError).message;
          expect(message).not.toContain(marker);
          expect(message).not.toContain(token.slice(0, 20));
        }
      }),
      { numRuns: 1000 },
    );
  });

  test('property: three segments of arbitrary bytes only ever fail with InvalidToken', () => {
    const segment = fc.oneof(
      fc.uint8Array({ maxLength: 200 }).map((b) => Buffer.from(b).toString('base64url')),
      fc.string({ maxLength: 60 }),
    );
    fc.assert(
      fc.property(segment, segment, segment, (h, p, s) => {
        try {
          parseTokenClaims(`${h}.${p}.${s}`, NOW);
        } catch (err) {
          expect(err).toBeInstanceOf(AgentError);
          expect((err as AgentError).code).toBe('InvalidToken');
        }
      }),
      { numRuns: 2000 },
    );
  });
});

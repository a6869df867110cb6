// The signature primitive shared by workers and the inline path, and the pool that runs it.
import { beforeAll, describe, expect, test } from 'bun:test';
import { generateKeyPairSync, sign } from 'node:crypto';
import { SignJWT } from 'jose';
import { AgentError } from '../../src/errors.ts';
import { createSignaturePool } from '../../src/token/signature-pool.ts';
import { type PublicJwk, type SignatureTask, verifySignature } from '../../src/token/verify-signature.ts';
import { createIssuerKey, type IssuerKey } from './local-issuer.ts';

const now = Math.floor(Date.now() / 1000);
let counter = 0;

async function taskFor(key: IssuerKey, overrides: Partial<SignatureTask> = {}): Promise<SignatureTask> {
  const token = await new SignJWT({ exp: now + 60 })
    .setProtectedHeader({ alg: key.alg, kid: key.kid })
    .sign(key.privateKey);
  const [h, p, s] = token.split('.');
  return {
    alg: key.alg,
    keyId: `test.${counter++}`,
    jwk: key.publicJwk as unknown as PublicJwk,
    signingInput: `${h}.${p}`,
    signature: s!,
    ...overrides,
  };
}

const algs = ['RS256', 'RS512', 'PS384', 'ES256', 'ES384', 'ES512', 'EdDSA'];
const keys: Record<string, IssuerKey> = {};
beforeAll(async () => {
  for (const alg of algs) keys[alg] = await createIssuerKey(`k-${alg}`, alg);
});

describe('verifySignature', () => {
  test.each(algs)('%s: a genuine signature is valid, a flipped byte is not', async (alg) => {
    const task = await taskFor(keys[alg]!);
    expect(verifySignature(task)).toBe('valid');
    const bytes = Buffer.from(task.signature, 'base64url');
    bytes[0] = bytes[0]! ^ 1;
    expect(verifySignature({ ...task, signature: bytes.toString('base64url') })).toBe('invalid-signature');
    expect(verifySignature({ ...task, signingInput: `${task.signingInput}x` })).toBe('invalid-signature');
  });

  test('an ECDSA signature of the wrong length is invalid, not a crash', async () => {
    const task = await taskFor(keys['ES256']!);
    expect(verifySignature({ ...task, signature: 'AAAA' })).toBe('invalid-signature');
  });

  test('a DER-encoded ECDSA signature is refused (JWS uses raw r||s)', async () => {
    const ec = generateKeyPairSync('ec', { namedCurve: 'P-256' });
    const input = 'eyJhbGciOiJFUzI1NiJ9.e30';
    const der = sign('sha256', Buffer.from(input), ec.privateKey).toString('base64url');
    const jwk = ec.publicKey.export({ format: 'jwk' }) as unknown as PublicJwk;
    const task = { alg: 'ES256', keyId: 'der', jwk, signingInput: input, signature: der };
    expect(verifySignature(task)).toBe('invalid-signature');
    const raw = sign('sha256', Buffer.from(input), { key: ec.privateKey, dsaEncoding: 'ieee-p1363' });
    expect(verifySignature({ ...task, signature: raw.toString('base64url') })).toBe('valid');
  });

  test('RSA keys under 2048 bits are unusable', () => {
    const weak = generateKeyPairSync('rsa', { modulusLength: 1024 });
    const input = 'eyJhbGciOiJSUzI1NiJ9.e30';
    const signature = sign('sha256', Buffer.from(input), weak.privateKey).toString('base64url');
    const jwk = weak.publicKey.export({ format: 'jwk' }) as unknown as PublicJwk;
    expect(verifySignature({ alg: 'RS256', keyId: 'weak', jwk, signingInput: input, signature })).toBe(
      'unusable-key',
    );
  });

  test('a key whose own alg differs, a wrong curve, or HS256 are unusable', async () => {
    const rs = await taskFor(keys['RS256']!);
    expect(verifySignature({ ...rs, alg: 'PS256' })).toBe('unusable-key');
    expect(verifySignature({ ...rs, alg: 'HS256' })).toBe('unusable-key');
    const es = await taskFor(keys['ES256']!);
    expect(verifySignature({ ...es, alg: 'ES384', jwk: { ...es.jwk, alg: undefined } as PublicJwk })).toBe(
      'unusable-key',
    );
  });

  test('imported keys are cached per keyId, so rotated material needs a new keyId', async () => {
    const a = await taskFor(keys['RS256']!, { keyId: 'rotating' });
    const other = await createIssuerKey('k-RS256');
    const b = await taskFor(other);
    expect(verifySignature(a)).toBe('valid');
    // Same keyId: the cached key answers, whatever JWK comes along.
    expect(verifySignature({ ...b, keyId: 'rotating' })).toBe('invalid-signature');
    expect(verifySignature(b)).toBe('valid');
  });
});

describe('createSignaturePool', () => {
  test('rejects nonsense sizes', () => {
    expect(() => createSignaturePool({ workers: -1, maxQueue: 1 })).toThrow(TypeError);
    expect(() => createSignaturePool({ workers: 1.5, maxQueue: 1 })).toThrow(TypeError);
    expect(() => createSignaturePool({ workers: 1, maxQueue: -1 })).toThrow(TypeError);
  });

  test('a 1-worker pool gives the same answers as the inline check', async () => {
    const pool = createSignaturePool({ workers: 1, maxQueue: 64 });
    try {
      const tasks: SignatureTask[] = [];
      for (const alg of algs) {
        const task = await taskFor(keys[alg]!);
        tasks.push(task, { ...task, signature: task.signature.slice(2) }, { ...task, alg: 'HS256' });
      }
      const pooled = await Promise.all(tasks.map((t) => pool.run(t)));
      expect(pooled).toEqual(tasks.map((t) => verifySignature(t)));
      expect(pooled.filter((r) => r === 'valid').length).toBe(algs.length);
    } finally {
      await pool.close();
    }
  });

  test('with maxQueue 0, only as many checks as workers run; the rest are Overloaded', async () => {
    const pool = createSignaturePool({ workers: 1, maxQueue: 0 });
    try {
      const task = await taskFor(keys['RS256']!);
      const results = await Promise.allSettled([pool.run(task), pool.run(task), pool.run(task)]);
      expect(results.map((r) => r.status)).toEqual(['fulfilled', 'rejected', 'rejected']);
      const reason = (results[1] as PromiseRejectedResult).reason;
      expect(reason).toBeInstanceOf(AgentError);
      expect(reason.code).toBe('Overloaded');
    } finally {
      await pool.close();
    }
  });
});

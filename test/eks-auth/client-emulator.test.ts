// The client against the project's EKS Auth emulator: real SigV4 verification, tokens and faults.
import { afterAll, beforeAll, beforeEach, describe, expect, test } from 'bun:test';
import { createEksAuthClient, type EksAuthClientOptions } from '../../src/eks-auth/client.ts';
import type { EksAuthError } from '../../src/eks-auth/errors.ts';
import { type Emulator, startEmulator } from '../../src/emulator/index.ts';

const NODE = {
  accessKeyId: 'AKIAIOSFODNN7EXAMPLE',
  secretAccessKey: 'wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY',
};
let emulator: Emulator;

beforeAll(async () => {
  emulator = await startEmulator();
});
afterAll(async () => {
  await emulator.stop();
});
beforeEach(() => {
  emulator.resetFaults();
});

function client(extra: Partial<EksAuthClientOptions> = {}) {
  return createEksAuthClient({
    region: 'us-west-2',
    clusterName: 'test-cluster',
    endpoint: emulator.url,
    credentials: async () => NODE,
    proxyEnv: {},
    sleep: async () => {},
    ...extra,
  });
}

async function failure(p: Promise<unknown>): Promise<EksAuthError> {
  try {
    await p;
  } catch (err) {
    return err as EksAuthError;
  }
  throw new Error('expected a failure');
}

describe('client against the emulator', () => {
  test('success with a parsed result', async () => {
    const token = await emulator.issueToken({ namespace: 'team-a', serviceAccount: 'reader' });
    const r = await client().assumeRoleForPodIdentity(token);
    expect(r.subject).toEqual({ namespace: 'team-a', serviceAccount: 'reader' });
    expect(r.accountId).toBe('111122223333');
    expect(r.credentials.accessKeyId.length).toBeGreaterThan(0);
    expect(r.credentials.expiration.getTime()).toBeGreaterThan(Date.now());
    expect(r.audience).toBe('pods.eks.amazonaws.com');
  });

  test('a bad token is InvalidTokenException, not retried', async () => {
    const before = emulator.stats().assumeRoleCalls;
    const err = await failure(client().assumeRoleForPodIdentity('eyJhbGciOiJub25lIn0.eyJzdWIiOiJ4In0.c2ln'));
    expect([err.code, err.kind, err.retryable]).toEqual(['InvalidTokenException', 'modelled', false]);
    expect(emulator.stats().assumeRoleCalls - before).toBe(1);
  });

  test('ThrottlingException is retried until attempts run out', async () => {
    const token = await emulator.issueToken({ namespace: 'ns', serviceAccount: 'sa' });
    emulator.setFaults({ failWith: 'ThrottlingException' });
    const before = emulator.stats().assumeRoleCalls;
    const err = await failure(client({ maxAttempts: 3 }).assumeRoleForPodIdentity(token));
    expect([err.code, err.status, err.retryable]).toEqual(['ThrottlingException', 503, true]);
    expect(emulator.stats().assumeRoleCalls - before).toBe(3);
  });

  test('a throttled first attempt then success', async () => {
    const token = await emulator.issueToken({ namespace: 'ns', serviceAccount: 'sa' });
    emulator.setFaults({ failWith: 'ThrottlingException' });
    const c = client({
      sleep: async () => {
        emulator.resetFaults();
      },
    });
    const r = await c.assumeRoleForPodIdentity(token);
    expect(r.subject.serviceAccount).toBe('sa');
  });

  test('a wrong node secret key is the signature error', async () => {
    const token = await emulator.issueToken({ namespace: 'ns', serviceAccount: 'sa' });
    const c = client({
      maxAttempts: 1,
      credentials: async () => ({ ...NODE, secretAccessKey: 'wrong-secret' }),
    });
    const err = await failure(c.assumeRoleForPodIdentity(token));
    expect(err.kind).toBe('http');
    expect(err.code).toBe('UpstreamHttpError');
    expect(err.upstreamStatus).toBe(403);
    expect(err.message).toContain('InvalidSignatureException');
    expect(err.message).not.toContain('wrong-secret');
  });

  test('malformed 200 from the emulator is UpstreamMalformedResponse naming the missing members', async () => {
    const token = await emulator.issueToken({ namespace: 'ns', serviceAccount: 'sa' });
    emulator.setFaults({ failWith: 'MalformedResponse' });
    const err = await failure(client({ maxAttempts: 1 }).assumeRoleForPodIdentity(token));
    expect(err.code).toBe('UpstreamMalformedResponse');
    expect(err.message).toContain('credentials');
    expect(err.message).toContain('assumedRoleUser');
  });
});

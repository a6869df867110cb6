// Node credentials: memoised single-flight loads, rotation of a real shared credentials file, fallback.
import { afterAll, describe, expect, test } from 'bun:test';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fromEnv } from '@aws-sdk/credential-provider-env';
import type { AwsCredentialIdentity } from '@smithy/types';
import { createManualClock } from '../../src/clock.ts';
import { EksAuthError } from '../../src/eks-auth/errors.ts';
import {
  type CredentialsProvider,
  createNodeCredentials,
  environmentCredentials,
} from '../../src/eks-auth/node-credentials.ts';

const dir = mkdtempSync(join(tmpdir(), 'node-creds-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function countingProvider(
  make: (n: number) => { accessKeyId: string; secretAccessKey: string; expiration?: Date },
) {
  let calls = 0;
  return {
    provider: async () => make(++calls),
    get calls() {
      return calls;
    },
  };
}

describe('createNodeCredentials', () => {
  test('static credentials load once; concurrent callers share one load', async () => {
    const p = countingProvider((n) => ({ accessKeyId: `K${n}`, secretAccessKey: 's' }));
    const get = createNodeCredentials({ credentials: p.provider, clock: createManualClock() });
    const [a, b] = await Promise.all([get(), get()]);
    expect(a.accessKeyId).toBe('K1');
    expect(b.accessKeyId).toBe('K1');
    expect((await get()).accessKeyId).toBe('K1');
    expect(p.calls).toBe(1);
  });

  test('temporary credentials reload before they expire', async () => {
    const clock = createManualClock();
    const p = countingProvider((n) => ({
      accessKeyId: `K${n}`,
      secretAccessKey: 's',
      expiration: new Date(clock.now() + 60 * 60_000),
    }));
    const get = createNodeCredentials({ credentials: p.provider, clock, refreshBeforeExpiryMs: 5 * 60_000 });
    expect((await get()).accessKeyId).toBe('K1');
    clock.advance(54 * 60_000);
    expect((await get()).accessKeyId).toBe('K1');
    expect(p.calls).toBe(1);
    clock.advance(2 * 60_000);
    // Due: the reload starts, in the background (K1 is valid 4 more minutes); the next call has K2.
    expect((await get()).accessKeyId).toBe('K1');
    expect(p.calls).toBe(2);
    expect((await get()).accessKeyId).toBe('K2');
  });

  test('a due reload of still-valid credentials does not hold callers; expired ones are waited for', async () => {
    const clock = createManualClock();
    let release: ((c: AwsCredentialIdentity) => void) | undefined;
    let calls = 0;
    const get = createNodeCredentials({
      clock,
      refreshBeforeExpiryMs: 5 * 60_000,
      credentials: () => {
        calls++;
        if (calls === 1)
          return Promise.resolve({
            accessKeyId: 'K1',
            secretAccessKey: 's',
            expiration: new Date(clock.now() + 60 * 60_000),
          });
        // A source that does not answer (IMDS timing out) until the test says so.
        return new Promise((resolve) => {
          release = resolve;
        });
      },
    });
    expect((await get()).accessKeyId).toBe('K1');
    clock.advance(56 * 60_000);
    const notYet = Symbol('still waiting');
    const firstOf = (p: Promise<AwsCredentialIdentity>) =>
      Promise.race([p.then((c) => c.accessKeyId), new Promise((r) => setTimeout(() => r(notYet), 0))]);
    expect(await firstOf(get())).toBe('K1');
    expect(await firstOf(get())).toBe('K1');
    expect(calls).toBe(2);
    // Past K1's expiry a caller has nothing to sign with and waits for the load in flight.
    clock.advance(5 * 60_000);
    const waiting = get();
    expect(await firstOf(waiting)).toBe(notYet);
    release?.({ accessKeyId: 'K2', secretAccessKey: 's', expiration: new Date(clock.now() + 60 * 60_000) });
    expect((await waiting).accessKeyId).toBe('K2');
    expect(calls).toBe(2);
  });

  test('a failed load with nothing to keep is not repeated on every call: its error answers until the retry interval', async () => {
    const clock = createManualClock();
    let calls = 0;
    const get = createNodeCredentials({
      clock,
      retryAfterFailureMs: 5_000,
      credentials: async () => {
        calls++;
        if (calls < 3) throw new Error('instance metadata service timed out');
        return { accessKeyId: 'K', secretAccessKey: 's' };
      },
    });
    for (let i = 0; i < 10; i++) {
      const err = await get().catch((e) => e);
      expect([err.code, err.kind, err.message]).toEqual([
        'NodeCredentialsUnavailable',
        'credentials',
        'node AWS credentials unavailable: instance metadata service timed out',
      ]);
      clock.advance(400);
    }
    expect(calls).toBe(1);
    clock.advance(1_000);
    expect(await get().catch((e) => e.kind)).toBe('credentials');
    expect(calls).toBe(2);
    clock.advance(5_000);
    expect((await get()).accessKeyId).toBe('K');
    expect(calls).toBe(3);
  });

  test('rotation re-reads at least every interval', async () => {
    const clock = createManualClock();
    const p = countingProvider((n) => ({ accessKeyId: `K${n}`, secretAccessKey: 's' }));
    const get = createNodeCredentials({
      credentials: p.provider,
      clock,
      rotateCredentials: true,
      rotationIntervalMs: 60_000,
    });
    await get();
    clock.advance(59_999);
    expect((await get()).accessKeyId).toBe('K1');
    clock.advance(1);
    expect((await get()).accessKeyId).toBe('K2');
  });

  test('a failed reload keeps the previous credentials, then retries later', async () => {
    const clock = createManualClock();
    let fail = false;
    let calls = 0;
    const get = createNodeCredentials({
      clock,
      rotateCredentials: true,
      retryAfterFailureMs: 5_000,
      credentials: async () => {
        calls++;
        if (fail) throw new Error('file being rewritten');
        return { accessKeyId: `K${calls}`, secretAccessKey: 's' };
      },
    });
    expect((await get()).accessKeyId).toBe('K1');
    fail = true;
    clock.advance(60_000);
    expect((await get()).accessKeyId).toBe('K1');
    expect((await get()).accessKeyId).toBe('K1');
    expect(calls).toBe(2);
    fail = false;
    clock.advance(5_000);
    expect((await get()).accessKeyId).toBe('K3');
  });

  test('no credentials at all is an EksAuthError of kind credentials', async () => {
    const clock = createManualClock();
    let calls = 0;
    const get = createNodeCredentials({
      clock,
      retryAfterFailureMs: 5_000,
      credentials: () => {
        calls++;
        throw new Error('Could not load credentials from any providers');
      },
    });
    const err = await get().catch((e) => e);
    expect(err).toBeInstanceOf(EksAuthError);
    expect([err.code, err.kind, err.retryable]).toEqual(['NodeCredentialsUnavailable', 'credentials', true]);
    // A synchronous throw must not wedge the single-flight: the call after the retry interval tries again.
    clock.advance(5_000);
    expect(await get().catch((e) => e.kind)).toBe('credentials');
    expect(calls).toBe(2);
  });

  test('rotateCredentials re-reads a real shared credentials file (fromIni)', async () => {
    const file = join(dir, 'credentials');
    const write = (key: string) =>
      writeFileSync(file, `[default]\naws_access_key_id = ${key}\naws_secret_access_key = secret-${key}\n`);
    write('AKIAFIRST');
    const clock = createManualClock();
    const get = createNodeCredentials({ rotateCredentials: true, credentialsFile: file, clock });
    expect((await get()).accessKeyId).toBe('AKIAFIRST');
    write('AKIASECOND');
    expect((await get()).accessKeyId).toBe('AKIAFIRST');
    clock.advance(60_000);
    const rotated = await get();
    expect(rotated.accessKeyId).toBe('AKIASECOND');
    expect(rotated.secretAccessKey).toBe('secret-AKIASECOND');
  });
});

test("a provider made by createNodeCredentials is not wrapped again (the EKS Auth client gets the agent's own)", async () => {
  const clock = createManualClock();
  let loads = 0;
  const inner = createNodeCredentials({
    credentials: async () => {
      loads++;
      return {
        accessKeyId: `K${loads}`,
        secretAccessKey: 's',
        expiration: new Date(clock.now() + 60 * 60_000),
      };
    },
    clock,
  });
  const outer = createNodeCredentials({ credentials: inner, clock, rotateCredentials: true });
  expect(outer).toBe(inner);
  expect((await outer()).accessKeyId).toBe('K1');
  // A plain function is still memoised: wrapping it is what the option is for.
  const plain = async () => ({ accessKeyId: 'P', secretAccessKey: 's' });
  expect(createNodeCredentials({ credentials: plain })).not.toBe(plain);
});

describe('the default chain: its environment link without the SDK', () => {
  const KEYS = { AWS_ACCESS_KEY_ID: 'AKIAENV', AWS_SECRET_ACCESS_KEY: 'env-secret' };
  /** A stand-in for the rest of the chain that counts how often it was loaded. */
  function fakeChain() {
    let loads = 0;
    const load = async (): Promise<CredentialsProvider> => {
      loads++;
      return async () => ({ accessKeyId: 'AKIACHAIN', secretAccessKey: 'chain-secret' });
    };
    return {
      load,
      get loads() {
        return loads;
      },
    };
  }

  test('static environment credentials never load the SDK chain', async () => {
    const chain = fakeChain();
    const get = createNodeCredentials({ env: { ...KEYS, AWS_SESSION_TOKEN: 'tok' }, loadChain: chain.load });
    expect(await get()).toEqual({
      accessKeyId: 'AKIAENV',
      secretAccessKey: 'env-secret',
      sessionToken: 'tok',
    });
    expect(chain.loads).toBe(0);
  });

  test('AWS_PROFILE set, or a key missing with a shared file present: the SDK chain answers, loaded once', async () => {
    // Without a shared file or AWS_PROFILE the chain could only reach IMDS, which the agent asks itself
    // (test/eks-auth/imds-credentials.test.ts).
    for (const env of [{ ...KEYS, AWS_PROFILE: 'other' }, { AWS_ACCESS_KEY_ID: 'AKIAENV' }, {}]) {
      const chain = fakeChain();
      const get = createNodeCredentials({
        env,
        loadChain: chain.load,
        clock: createManualClock(),
        fileExists: () => true,
      });
      expect((await get()).accessKeyId).toBe('AKIACHAIN');
      expect(chain.loads).toBe(1);
    }
  });

  test("the same fields as the SDK's fromEnv", async () => {
    const env = {
      ...KEYS,
      AWS_SESSION_TOKEN: 'session',
      AWS_CREDENTIAL_EXPIRATION: '2030-01-02T03:04:05Z',
      AWS_CREDENTIAL_SCOPE: 'scope',
      AWS_ACCOUNT_ID: '111122223333',
    };
    const saved = { ...process.env };
    Object.assign(process.env, env);
    try {
      const sdk = await fromEnv()();
      expect(environmentCredentials(env)).toEqual({
        accessKeyId: sdk.accessKeyId,
        secretAccessKey: sdk.secretAccessKey,
        sessionToken: sdk.sessionToken,
        expiration: sdk.expiration,
        credentialScope: sdk.credentialScope,
        accountId: sdk.accountId,
      });
    } finally {
      for (const name of Object.keys(env)) {
        if (saved[name] === undefined) delete process.env[name];
        else process.env[name] = saved[name];
      }
    }
  });
});

// Node credentials: memoised single-flight loads, rotation of a real shared credentials file, fallback.
import { afterAll, describe, expect, test } from 'bun:test';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fromEnv } from '@aws-sdk/credential-provider-env';
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
    clock.advance(2 * 60_000);
    expect((await get()).accessKeyId).toBe('K2');
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
    const get = createNodeCredentials({
      credentials: () => {
        throw new Error('Could not load credentials from any providers');
      },
    });
    const err = await get().catch((e) => e);
    expect(err).toBeInstanceOf(EksAuthError);
    expect([err.code, err.kind, err.retryable]).toEqual(['NodeCredentialsUnavailable', 'credentials', true]);
    // A synchronous throw must not wedge the single-flight: the next call tries again.
    expect(await get().catch((e) => e.kind)).toBe('credentials');
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

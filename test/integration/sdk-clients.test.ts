// Real AWS SDK credential providers against the running agent (backed by the EKS Auth emulator).
import { afterAll, beforeAll, describe, expect, test } from 'bun:test';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fromHttp } from '@aws-sdk/credential-provider-http';
import { botocoreCredentials } from '../helpers/botocore.ts';
import { withContainerCredentialsEnv } from '../helpers/sdk-env.ts';
import { type Stack, startStack } from '../helpers/stack.ts';

let stack: Stack;

beforeAll(async () => {
  stack = await startStack();
});
afterAll(() => stack.stop());

/** fromHttp reads its configuration from process.env, as it does in a pod. */
function withSdkEnv<T>(tokenPath: string, fn: () => Promise<T>): Promise<T> {
  return withContainerCredentialsEnv(stack.credentialsUrl, tokenPath, fn);
}

const botocore = (tokenPath: string) => botocoreCredentials(stack.credentialsUrl, tokenPath);

describe('JS SDK v3 fromHttp', () => {
  test('gets valid credentials with an expiration', async () => {
    const { path } = await stack.tokenFile({ podName: 'js-pod' });
    const creds = await withSdkEnv(path, () => fromHttp({ maxRetries: 0 })());
    expect(creds.accessKeyId).toMatch(/^ASIA[A-Z0-9]{16}$/);
    expect(creds.secretAccessKey.length).toBeGreaterThan(20);
    expect(creds.sessionToken?.length).toBeGreaterThan(20);
    expect(creds.expiration).toBeInstanceOf(Date);
    expect(creds.expiration!.getTime()).toBeGreaterThan(Date.now() + 60 * 60_000);
    // This fromHttp version does not map AccountId; newer ones do, and the agent sends it (see the botocore test).
    if (creds.accountId !== undefined) expect(creds.accountId).toBe('111122223333');
  });

  test('sees a clear error for a bad token', async () => {
    const path = join(stack.dir, 'bad-token-js');
    writeFileSync(path, 'definitely-not-a-jwt');
    const calls = stack.emulator.stats().assumeRoleCalls;
    const err = (await withSdkEnv(path, () => fromHttp({ maxRetries: 0 })()).catch((e) => e)) as Error & {
      Code?: string;
      Message?: string;
    };
    expect(err).toBeInstanceOf(Error);
    expect(err.message).toContain('400');
    // fromHttp attaches the body's capitalised Code and Message to the error it throws.
    expect(err.Code).toBe('InvalidToken');
    expect(err.Message).toContain('not a JWT');
    expect(stack.emulator.stats().assumeRoleCalls).toBe(calls);
  });
});

describe('botocore ContainerProvider (AWS CLI, boto3)', () => {
  test('gets valid credentials with a zoned expiry', async () => {
    const { path } = await stack.tokenFile({ podName: 'py-pod' });
    const result = await botocore(path);
    expect(result).toMatchObject({ ok: true, hasSecret: true, hasToken: true, expiryHasZone: true });
    expect(String(result['accessKeyId'])).toMatch(/^ASIA/);
    expect(Date.parse(String(result['expiry']))).toBeGreaterThan(Date.now() + 60 * 60_000);
  });

  test('sees a clear error for a token signed by someone else', async () => {
    const { token } = await stack.tokenFile();
    const [h, p] = token.split('.');
    const forged = `${h}.${p}.${Buffer.from('not-the-signature').toString('base64url')}`;
    const path = join(stack.dir, 'forged-token-py');
    writeFileSync(path, forged);
    const calls = stack.emulator.stats().assumeRoleCalls;
    const result = await botocore(path);
    expect(result['ok']).toBe(false);
    expect(String(result['message'])).toContain('TokenRejected');
    expect(String(result['message'])).not.toContain(p!);
    expect(stack.emulator.stats().assumeRoleCalls).toBe(calls);
  });
});

describe('a pod with no association', () => {
  test('botocore then JS v3 within seconds: their retry loops cost one EKS Auth call', async () => {
    stack.emulator.setAssociations([
      { namespace: 'default', serviceAccount: 'app', roleArn: 'arn:aws:iam::111122223333:role/app' },
    ]);
    try {
      const { path } = await stack.tokenFile({ serviceAccount: 'orphan', podName: 'orphan-1' });
      const calls = stack.emulator.stats().assumeRoleCalls;
      // botocore retries any non-200 three times, 1 s apart; JS v3 four times (facts/sdk-clients.md).
      const py = await botocore(path);
      expect(py['ok']).toBe(false);
      expect(String(py['message'])).toContain('ResourceNotFoundException');
      const js = (await withSdkEnv(path, () => fromHttp({ maxRetries: 3 })()).catch((e) => e)) as Error & {
        Code?: string;
      };
      expect(js).toBeInstanceOf(Error);
      expect(js.Code).toBe('ResourceNotFoundException');
      expect(stack.emulator.stats().assumeRoleCalls - calls).toBe(1);
    } finally {
      stack.emulator.setAssociations(null);
    }
  }, 20_000);
});

// EKS Auth answering in 1.5 s, slower than the 1 s some SDKs wait: the agent holds each miss until its call
// settles (within --client-patience), lets the slow attempt land (the per-attempt bound is for hung
// connections only) and caches it, so an SDK that timed out finds it on its retry. Real JS v3 and botocore
// clients, and a client model of PHP's, each get credentials with one EKS Auth call per pod.
import { afterAll, beforeAll, beforeEach, expect, test } from 'bun:test';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fromHttp } from '@aws-sdk/credential-provider-http';
import { botocoreCredentials } from '../helpers/botocore.ts';
import { withContainerCredentialsEnv } from '../helpers/sdk-env.ts';
import { type FaultStack, startFaultStack } from './fault-stack.ts';

/** Slower than the 1 s of Java, C++, PHP, Ruby and JS v2; well within the default patience (4.5 s). */
const LATENCY_MS = 1_500;

let s: FaultStack;
beforeAll(async () => {
  s = await startFaultStack();
});
afterAll(() => s.stop());
beforeEach(() => s.emulator.setFaults({ latencyMs: LATENCY_MS }));

async function tokenFile(name: string): Promise<string> {
  const path = join(s.dir, name);
  writeFileSync(path, await s.token({ podName: name }));
  return path;
}

/**
 * The PHP SDK's EcsCredentialProvider as facts/sdk-clients.md describes it: one 1 s timeout for the whole
 * request, up to 4 attempts 1 s apart, retrying only its own timeouts and connection errors (any HTTP status
 * other than 200 fails at once).
 */
async function phpEcsCredentialProvider(
  url: string,
  token: string,
): Promise<{ ok: boolean; attempts: number }> {
  for (let attempt = 1; ; attempt++) {
    try {
      const res = await fetch(url, { headers: { authorization: token }, signal: AbortSignal.timeout(1_000) });
      const body = (await res.json()) as Record<string, string>;
      return { ok: res.status === 200 && typeof body['AccessKeyId'] === 'string', attempts: attempt };
    } catch {
      if (attempt >= 4) return { ok: false, attempts: attempt };
      await Bun.sleep(1_000);
    }
  }
}

test('a miss is held until the slow call settles: the first request gets 200; one upstream call', async () => {
  const token = await s.token();
  const before = s.calls();
  const first = await s.get(token);
  expect(first.status).toBe(200);
  expect(first.body.AccessKeyId).toMatch(/^ASIA/);
  expect(s.calls() - before).toBe(1);
  expect(s.emulator.stats().byCode).toEqual({});
});

test('the real JS SDK v3 fromHttp gets credentials; EKS Auth sees one call', async () => {
  const path = await tokenFile('js-slow');
  const before = s.calls();
  await withContainerCredentialsEnv(s.credentialsUrl, path, async () => {
    const creds = await fromHttp({ timeout: 1_000, maxRetries: 3 })();
    expect(creds.accessKeyId).toMatch(/^ASIA/);
    expect(creds.sessionToken).toBeTruthy();
  });
  await s.settle();
  expect(s.calls() - before).toBe(1);
});

test('botocore (2 s read timeout) gets credentials; EKS Auth sees one call', async () => {
  const path = await tokenFile('py-slow');
  const before = s.calls();
  const result = await botocoreCredentials(s.credentialsUrl, path);
  expect(result).toMatchObject({ ok: true, hasSecret: true, hasToken: true });
  await s.settle();
  expect(s.calls() - before).toBe(1);
});

test('a PHP-style client (1 s total, retries only timeouts) gets credentials on its retry; one call', async () => {
  const token = await s.token({ podName: 'php-slow' });
  const before = s.calls();
  const result = await phpEcsCredentialProvider(s.credentialsUrl, token);
  expect(result.ok).toBe(true);
  // Its first attempt timed out at 1 s; the call went on and its result was cached for a retry.
  expect(result.attempts).toBeGreaterThanOrEqual(2);
  await s.settle();
  expect(s.calls() - before).toBe(1);
});

test('many pods starting at once against a slow EKS Auth: one call per pod, all served at once', async () => {
  const tokens = await Promise.all(Array.from({ length: 20 }, () => s.token()));
  const before = s.calls();
  // Each pod asks twice at once (two containers).
  const first = await Promise.all(tokens.flatMap((t) => [s.get(t), s.get(t)]));
  for (const v of first) expect(v.status).toBe(200);
  expect(s.calls() - before).toBe(tokens.length);
});

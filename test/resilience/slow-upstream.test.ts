// EKS Auth answering slower than an SDK waits: the agent answers within the SDK's patience, keeps the call
// going and caches its late result, so the SDK's own retry is a hit and EKS Auth is called once.
import { afterAll, beforeAll, beforeEach, expect, test } from 'bun:test';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fromHttp } from '@aws-sdk/credential-provider-http';
import { withContainerCredentialsEnv } from '../helpers/sdk-env.ts';
import { type FaultStack, startFaultStack } from './fault-stack.ts';

/** Slower than the agent's default patience (900 ms), well within the agent's upstream timeout below. */
const LATENCY_MS = 1_300;

let s: FaultStack;
beforeAll(async () => {
  s = await startFaultStack(['--upstream-timeout=5s']);
});
afterAll(() => s.stop());
beforeEach(() => s.emulator.setFaults({ latencyMs: LATENCY_MS }));

test('the first request gets a retryable 504 within patience; the late result is cached; one upstream call', async () => {
  const token = await s.token();
  const before = s.calls();
  const first = await s.get(token);
  expect(first.status).toBe(504);
  expect(first.body).toMatchObject({ code: 'UpstreamTimeout', Code: 'UpstreamTimeout' });
  await s.settle();
  const retry = await s.get(token);
  expect(retry.status).toBe(200);
  expect(retry.body.AccessKeyId).toMatch(/^ASIA/);
  expect(s.calls() - before).toBe(1);
  expect(s.emulator.stats().byCode).toEqual({});
});

test('the real JS SDK (1 s timeout, retries) gets credentials; EKS Auth sees one call', async () => {
  const token = await s.token({ podName: 'js-slow' });
  const path = join(s.dir, 'slow-token');
  writeFileSync(path, token);
  const before = s.calls();
  await withContainerCredentialsEnv(s.credentialsUrl, path, async () => {
    const creds = await fromHttp({ timeout: 1_000, maxRetries: 3 })();
    expect(creds.accessKeyId).toMatch(/^ASIA/);
    expect(creds.sessionToken).toBeTruthy();
  });
  await s.settle();
  expect(s.calls() - before).toBe(1);
});

test('many pods starting at once against a slow EKS Auth: one call per pod, all served on retry', async () => {
  const tokens = await Promise.all(Array.from({ length: 20 }, () => s.token()));
  const before = s.calls();
  // Each pod asks twice at once (two containers), then retries after the call settles.
  const first = await Promise.all(tokens.flatMap((t) => [s.get(t), s.get(t)]));
  for (const v of first) expect(v.status).toBe(504);
  await s.settle();
  const retries = await Promise.all(tokens.map((t) => s.get(t)));
  for (const v of retries) expect(v.status).toBe(200);
  expect(s.calls() - before).toBe(tokens.length);
});

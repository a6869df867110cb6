// Regression: each EKS Auth attempt once derived its abort signal from the client's long-lived shutdown signal
// (AbortSignal.any), and Bun kept every derived signal alive: one leaked AbortSignal per upstream call.

import { heapStats } from 'bun:jsc';
import { afterAll, beforeAll, expect, test } from 'bun:test';
import { createEksAuthClient } from '../../src/eks-auth/client.ts';
import { type Emulator, startEmulator } from '../../src/emulator/index.ts';

let emulator: Emulator;
beforeAll(async () => {
  emulator = await startEmulator();
});
afterAll(() => emulator.stop());

const abortSignals = () => heapStats().objectTypeCounts['AbortSignal'] ?? 0;

test('upstream calls leave no AbortSignal behind', async () => {
  const client = createEksAuthClient({
    region: 'us-west-2',
    clusterName: 'test-cluster',
    endpoint: emulator.url,
    credentials: async () => ({
      accessKeyId: 'AKIAIOSFODNN7EXAMPLE',
      secretAccessKey: 'wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY',
    }),
    proxyEnv: {},
  });
  const token = await emulator.issueToken({ namespace: 'default', serviceAccount: 'app' });
  Bun.gc(true);
  const before = abortSignals();
  for (let i = 0; i < 20; i++) {
    await Promise.all(Array.from({ length: 50 }, () => client.assumeRoleForPodIdentity(token)));
  }
  Bun.gc(true);
  expect(abortSignals() - before).toBeLessThan(100); // 1,000 calls; the leak kept ~700 of them
  client.close();
});

// The EKS Auth emulator's tokens verify through OIDC discovery of the emulator as the token issuer.
import { afterAll, beforeAll, expect, test } from 'bun:test';
import { type Emulator, startEmulator } from '../../src/emulator/index.ts';
import { createSilentLogger } from '../../src/observability/logger.ts';
import { createKeySource, type KeySource } from '../../src/token/jwks.ts';
import { createTokenVerifier } from '../../src/token/token-verifier.ts';
import type { TokenVerifier } from '../../src/token/types.ts';

let emulator: Emulator;
let keySource: KeySource;
let verifier: TokenVerifier;

beforeAll(async () => {
  emulator = await startEmulator();
  keySource = createKeySource({ tokenIssuer: emulator.url, logger: createSilentLogger() });
  await keySource.start();
  verifier = createTokenVerifier({ keySource, issuer: emulator.url, workers: 1 });
});
afterAll(async () => {
  await verifier.close();
  keySource.close();
  await emulator.stop();
});

test('a pod token issued by the emulator verifies to its pod identity', async () => {
  const token = await emulator.issueToken({
    namespace: 'payments',
    serviceAccount: 'api',
    podName: 'api-5c9',
    podUid: '0b0a2c4e-1111-2222-3333-444455556666',
  });
  expect(await verifier.verify(token)).toMatchObject({
    namespace: 'payments',
    serviceAccount: 'api',
    podName: 'api-5c9',
    podUid: '0b0a2c4e-1111-2222-3333-444455556666',
  });
});

test('an emulator token for another audience is rejected', async () => {
  const token = await emulator.issueToken({
    namespace: 'payments',
    serviceAccount: 'api',
    audience: 'sts.amazonaws.com',
  });
  await expect(verifier.verify(token)).rejects.toMatchObject({
    code: 'TokenRejected',
    status: 403,
    message: 'token audience does not include pods.eks.amazonaws.com',
  });
});

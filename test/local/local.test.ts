// `npm start` (local mode) verifies token signatures with no edit: the agent reads the signing keys from the
// emulated API server with its own service-account token, exactly as in a cluster. A forged token is refused
// locally with no EKS Auth call; a rotated token of a cached pod is a hit during an EKS Auth outage.
import { afterAll, beforeAll, expect, test } from 'bun:test';
import { generateKeyPairSync, sign } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type LocalRun, startLocal } from '../../src/local/local.ts';
import { freePort } from '../helpers/free-port.ts';

let run: LocalRun;
const dir = mkdtempSync(join(tmpdir(), 'local-mode-test-'));

beforeAll(async () => {
  run = await startLocal([
    `--port=${freePort()}`,
    `--metrics-port=${freePort()}`,
    `--probe-port=${freePort()}`,
    `--token-file=${join(dir, 'token')}`,
    '-v=silent',
  ]);
  // Keys load in the background (listeners never wait): wait for the first attempt.
  await run.agent.verification.keySource?.start();
});
afterAll(async () => {
  await run.stop();
  rmSync(dir, { recursive: true, force: true });
});

const ask = async (token: string) => {
  const res = await fetch(`${run.agent.url}/v1/credentials`, {
    headers: { authorization: token, host: new URL(run.agent.url).host },
  });
  return { status: res.status, body: (await res.json()) as Record<string, string> };
};
const calls = () => run.emulator.stats().assumeRoleCalls;
const payloadOf = (token: string) => JSON.parse(Buffer.from(token.split('.')[1]!, 'base64url').toString());

test('keys come from the emulated API server; requests are served in signature mode', async () => {
  expect(run.agent.verification.describeKeySource()).toBe(
    `kube-api ${run.emulator.kubeApi!.url}/openid/v1/jwks`,
  );
  expect(run.agent.verification.mode()).toBe('signature');
  expect(run.emulator.kubeApi!.stats().byPath['/openid/v1/jwks']).toBe(1);
  expect(run.instructions).toContain('/openid/v1/jwks');
  const res = await ask(readFileSync(run.tokenFile, 'utf8'));
  expect(res.status).toBe(200);
  expect(res.body.AccessKeyId).toStartWith('ASIA');
});

test('a forged token (same claims, another key) is refused locally: 403, no EKS Auth call', async () => {
  const genuine = readFileSync(run.tokenFile, 'utf8');
  const [h, p] = genuine.split('.');
  const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
  const forged = `${h}.${p}.${sign('sha256', Buffer.from(`${h}.${p}`), privateKey).toString('base64url')}`;
  const before = calls();
  const res = await ask(forged);
  expect(res.status).toBe(403);
  expect(res.body.code).toBe('TokenRejected');
  expect(calls()).toBe(before);
});

test('a rotated token of the cached demo pod is a hit during an EKS Auth outage', async () => {
  const first = readFileSync(run.tokenFile, 'utf8');
  const served = await ask(first);
  expect(served.status).toBe(200);
  const claims = payloadOf(first)['kubernetes.io'];
  run.emulator.setFaults({ outage: true });
  try {
    const before = calls();
    const rotated = await run.emulator.issueToken({
      namespace: 'default',
      serviceAccount: 'demo',
      podName: claims.pod.name,
      podUid: claims.pod.uid,
    });
    expect(rotated).not.toBe(first);
    const res = await ask(rotated);
    expect(res.status).toBe(200);
    expect(res.body.AccessKeyId).toBe(served.body.AccessKeyId!);
    expect(calls()).toBe(before);
  } finally {
    run.emulator.resetFaults();
  }
});

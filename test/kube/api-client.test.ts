// The agent's Kubernetes API client against the emulator's API-server stand-in: in-cluster discovery from
// the environment, the cluster CA, the service-account token re-read on rotation, bounded answers, errors
// that never carry the token.
import { afterAll, beforeAll, describe, expect, test } from 'bun:test';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type Emulator, startEmulator } from '../../src/emulator/index.ts';
import { createTestCertificateAuthority } from '../../src/emulator/kube-api/certificates.ts';
import {
  createKubeApiClient,
  inClusterEndpoint,
  type KubeApiEndpoint,
  KubeApiError,
} from '../../src/kube/api-client.ts';
import { agentKubeEndpoint } from '../helpers/kube-stand-in.ts';

let emu: Emulator;
let endpoint: KubeApiEndpoint;
const dir = mkdtempSync(join(tmpdir(), 'kube-client-test-'));

beforeAll(async () => {
  emu = await startEmulator({ kubeApi: true });
  endpoint = agentKubeEndpoint(emu, dir);
});
afterAll(async () => {
  await emu.stop();
  rmSync(dir, { recursive: true, force: true });
});

async function failure(promise: Promise<unknown>): Promise<KubeApiError> {
  try {
    await promise;
  } catch (err) {
    if (err instanceof KubeApiError) return err;
    throw err;
  }
  throw new Error('expected a KubeApiError');
}

describe('inClusterEndpoint', () => {
  test.each([
    [{}, undefined],
    [{ KUBERNETES_SERVICE_HOST: '10.100.0.1' }, undefined],
    [{ KUBERNETES_SERVICE_HOST: '10.100.0.1', KUBERNETES_SERVICE_PORT: '443' }, 'https://10.100.0.1:443'],
    [{ KUBERNETES_SERVICE_HOST: 'fd00:10::1', KUBERNETES_SERVICE_PORT: '443' }, 'https://[fd00:10::1]:443'],
  ])('%j -> %s', (env, baseUrl) => {
    expect(inClusterEndpoint(env, '/sa')?.baseUrl).toBe(baseUrl as string);
  });

  test('token and CA come from the service-account directory', () => {
    expect(inClusterEndpoint({ KUBERNETES_SERVICE_HOST: 'h', KUBERNETES_SERVICE_PORT: '1' })).toMatchObject({
      tokenFile: '/var/run/secrets/kubernetes.io/serviceaccount/token',
      caFile: '/var/run/secrets/kubernetes.io/serviceaccount/ca.crt',
    });
  });

  test.each([
    ['10.0.0.1', '0'],
    ['10.0.0.1', '65536'],
    ['10.0.0.1', '443x'],
    ['evil/host', '443'],
    ['a b', '443'],
  ])('malformed %s:%s throws', (host, port) => {
    expect(() => inClusterEndpoint({ KUBERNETES_SERVICE_HOST: host, KUBERNETES_SERVICE_PORT: port })).toThrow(
      TypeError,
    );
  });
});

describe('requestJson', () => {
  test('reads /openid/v1/jwks with the mounted token and the cluster CA', async () => {
    const body = (await createKubeApiClient({ endpoint }).requestJson('/openid/v1/jwks')) as {
      keys: unknown[];
    };
    expect(body.keys.length).toBeGreaterThan(0);
  });

  test('the token file is re-read on every call: a rotated token is used at once', async () => {
    const tokenFile = join(dir, 'rotating-token');
    const client = createKubeApiClient({ endpoint: { ...endpoint, tokenFile } });
    const stale = await emu.issueToken({ namespace: 'kube-system', serviceAccount: 'agent' }); // wrong audience
    writeFileSync(tokenFile, stale);
    const err = await failure(client.requestJson('/openid/v1/jwks'));
    expect(err.failure).toBe('http');
    expect(err.status).toBe(401);
    expect(err.message).toBe('Kubernetes API /openid/v1/jwks answered HTTP 401 (Unauthorized)');
    expect(err.message).not.toContain(stale);
    writeFileSync(tokenFile, `${emu.kubeApi!.issueBearerToken('kube-system', 'agent')}\n`);
    expect(await client.requestJson('/openid/v1/jwks')).toHaveProperty('keys');
  });

  test('a server certificate from another CA is refused', async () => {
    const caFile = join(dir, 'other-ca.crt');
    writeFileSync(caFile, createTestCertificateAuthority().certPem);
    const err = await failure(
      createKubeApiClient({ endpoint: { ...endpoint, caFile } }).requestJson('/openid/v1/jwks'),
    );
    expect(err.failure).toBe('unreachable');
  });

  test('missing or unusable token file: credentials failure, nothing sent', async () => {
    const before = emu.kubeApi!.stats().requests;
    const missing = createKubeApiClient({ endpoint: { ...endpoint, tokenFile: join(dir, 'absent') } });
    expect((await failure(missing.requestJson('/openid/v1/jwks'))).failure).toBe('credentials');
    const badFile = join(dir, 'bad-token');
    writeFileSync(badFile, 'two\nlines');
    const bad = createKubeApiClient({ endpoint: { ...endpoint, tokenFile: badFile } });
    expect((await failure(bad.requestJson('/openid/v1/jwks'))).message).toBe(
      'service-account token file does not hold a token',
    );
    expect(emu.kubeApi!.stats().requests).toBe(before);
  });

  test('an answer larger than the bound is refused', async () => {
    const err = await failure(
      createKubeApiClient({ endpoint, maxResponseBytes: 64 }).requestJson('/openid/v1/jwks'),
    );
    expect(err.failure).toBe('too-large');
  });

  test('outage and timeout', async () => {
    const client = createKubeApiClient({ endpoint, timeoutMs: 100 });
    emu.kubeApi!.setFaults({ outage: 'unavailable' });
    expect((await failure(client.requestJson('/openid/v1/jwks'))).status).toBe(503);
    emu.kubeApi!.setFaults({ outage: 'hang' });
    expect((await failure(client.requestJson('/openid/v1/jwks'))).failure).toBe('timeout');
    emu.kubeApi!.resetFaults();
  });
});

// The API-server stand-in: TLS from its own CA, bearer-token authentication, Status objects, the JWKS route
// in kube-apiserver's shape, faults.
import { afterAll, afterEach, beforeAll, describe, expect, test } from 'bun:test';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type Emulator, startEmulator } from '../../src/emulator/index.ts';
import { createTestCertificateAuthority } from '../../src/emulator/kube-api/certificates.ts';
import type { KubeApiStandIn } from '../../src/emulator/kube-api/index.ts';

let emu: Emulator;
let kube: KubeApiStandIn;
const dir = mkdtempSync(join(tmpdir(), 'kube-api-test-'));

beforeAll(async () => {
  emu = await startEmulator({ kubeApi: true });
  kube = emu.kubeApi!;
});
afterEach(() => {
  kube.resetFaults();
  kube.resetStats();
});
afterAll(async () => {
  await emu.stop();
  rmSync(dir, { recursive: true, force: true });
});

const get = (path: string, token?: string) =>
  fetch(kube.url + path, {
    headers: token === undefined ? {} : { authorization: `Bearer ${token}` },
    tls: { ca: kube.caPem },
  });

describe('certificates', () => {
  test('openssl accepts the server certificate as issued by the CA, and rejects it under another CA', () => {
    const ca = createTestCertificateAuthority();
    const leaf = ca.issueServerCertificate(['localhost', '127.0.0.1', '::1']);
    const other = createTestCertificateAuthority();
    writeFileSync(join(dir, 'ca.pem'), ca.certPem);
    writeFileSync(join(dir, 'other.pem'), other.certPem);
    writeFileSync(join(dir, 'leaf.pem'), leaf.certPem);
    const ok = spawnSync('openssl', ['verify', '-CAfile', join(dir, 'ca.pem'), join(dir, 'leaf.pem')]);
    expect(ok.stdout.toString()).toContain('OK');
    expect(ok.status).toBe(0);
    const bad = spawnSync('openssl', ['verify', '-CAfile', join(dir, 'other.pem'), join(dir, 'leaf.pem')]);
    expect(bad.status).not.toBe(0);
    const text = spawnSync('openssl', [
      'x509',
      '-in',
      join(dir, 'leaf.pem'),
      '-noout',
      '-text',
    ]).stdout.toString();
    expect(text).toContain('DNS:localhost, IP Address:127.0.0.1, IP Address:0:0:0:0:0:0:0:1');
    expect(text).toContain('CA:FALSE');
  });

  test('a client trusting only the public store refuses the stand-in', async () => {
    await expect(fetch(`${kube.url}/openid/v1/jwks`)).rejects.toThrow();
  });
});

describe('authentication', () => {
  test('no token: 403 Status for the anonymous user', async () => {
    const res = await get('/openid/v1/jwks');
    expect(res.status).toBe(403);
    expect(await res.json()).toMatchObject({
      kind: 'Status',
      status: 'Failure',
      reason: 'Forbidden',
      code: 403,
    });
  });

  test('a pod-identity token (wrong audience) or garbage: 401 Unauthorized', async () => {
    const podToken = await emu.issueToken({ namespace: 'default', serviceAccount: 'app' });
    for (const token of [podToken, 'not-a-token']) {
      const res = await get('/openid/v1/jwks', token);
      expect(res.status).toBe(401);
      expect(((await res.json()) as { reason: string }).reason).toBe('Unauthorized');
    }
    expect(kube.stats().unauthorized).toBe(2);
  });
});

describe('/openid/v1/jwks', () => {
  test("kube-apiserver's shape: application/jwk-set+json, RS256 signing keys, the issuer's current kid", async () => {
    const res = await get('/openid/v1/jwks', kube.issueBearerToken('kube-system', 'eks-pod-identity-agent'));
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('application/jwk-set+json');
    const body = (await res.json()) as { keys: Record<string, string>[] };
    expect(body.keys).toHaveLength(1);
    expect(Object.keys(body.keys[0]!)).toEqual(['use', 'kty', 'kid', 'alg', 'n', 'e']);
    expect(body.keys[0]).toMatchObject({ use: 'sig', kty: 'RSA', alg: 'RS256', e: 'AQAB' });
    const podToken = await emu.issueToken({ namespace: 'default', serviceAccount: 'app' });
    const kid = JSON.parse(Buffer.from(podToken.split('.')[0]!, 'base64url').toString()).kid;
    expect(body.keys[0]!.kid).toBe(kid);
  });

  test('a rotated signing key is published next to the previous one', async () => {
    const before = (await (await get('/openid/v1/jwks', kube.issueBearerToken('a', 'b'))).json()) as {
      keys: { kid: string }[];
    };
    const newKid = await emu.rotateSigningKey();
    const after = (await (await get('/openid/v1/jwks', kube.issueBearerToken('a', 'b'))).json()) as {
      keys: { kid: string }[];
    };
    expect(after.keys.map((k) => k.kid)).toEqual([newKid, ...before.keys.map((k) => k.kid)]);
  });

  test('discovery document and unknown paths', async () => {
    const token = kube.issueBearerToken('a', 'b');
    const discovery = await (await get('/.well-known/openid-configuration', token)).json();
    expect(discovery).toMatchObject({ issuer: emu.url, jwks_uri: `${emu.url}/openid/v1/jwks` });
    const missing = await get('/api/v1/secrets', token);
    expect(missing.status).toBe(404);
    expect(((await missing.json()) as { reason: string }).reason).toBe('NotFound');
    expect(kube.stats().byPath['/openid/v1/jwks']).toBeUndefined();
  });
});

describe('faults', () => {
  test('outage: 503 Status; forbidden: 403 naming the caller; reset restores service', async () => {
    const token = kube.issueBearerToken('kube-system', 'agent');
    kube.setFaults({ outage: 'unavailable' });
    expect((await get('/openid/v1/jwks', token)).status).toBe(503);
    kube.setFaults({ forbidden: true });
    const forbidden = await get('/openid/v1/jwks', token);
    expect(forbidden.status).toBe(403);
    expect(((await forbidden.json()) as { message: string }).message).toContain(
      'system:serviceaccount:kube-system:agent',
    );
    kube.resetFaults();
    expect((await get('/openid/v1/jwks', token)).status).toBe(200);
    expect(kube.stats().byPath['/openid/v1/jwks']).toBe(3);
  });

  test('hang: no answer until the client gives up', async () => {
    kube.setFaults({ outage: 'hang' });
    const started = get('/openid/v1/jwks', kube.issueBearerToken('a', 'b'));
    const res = await Promise.race([started.then(() => 'answered'), Bun.sleep(200).then(() => 'held')]);
    expect(res).toBe('held');
    kube.resetFaults();
  });

  test('writeServiceAccountDir lays out token, ca.crt and namespace as the kubelet does', async () => {
    const sa = kube.writeServiceAccountDir(join(dir, 'sa'), 'kube-system', 'eks-pod-identity-agent');
    const token = await Bun.file(join(sa, 'token')).text();
    expect(await Bun.file(join(sa, 'ca.crt')).text()).toBe(kube.caPem);
    expect(await Bun.file(join(sa, 'namespace')).text()).toBe('kube-system');
    expect((await get('/openid/v1/jwks', token)).status).toBe(200);
  });
});

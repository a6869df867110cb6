// No new single point of failure: with the in-cluster key source (the API server's /openid/v1/jwks) down at
// start, pods are served in claims mode (cache keyed by the exact token); once the source recovers the agent
// switches to verified mode within one refresh, re-keys what it fetched meanwhile, and refuses forgeries
// locally. The other direction: a source that fails after loading keeps the last good set, and a token signed
// with a key rotated in meanwhile gets a retryable 503, never a 403.
import { afterAll, beforeAll, describe, expect, test } from 'bun:test';
import { generateKeyPairSync, sign } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type Agent, startAgent } from '../../src/agent/agent.ts';
import { createManualClock } from '../../src/clock.ts';
import {
  DEFAULT_ACCESS_KEY_ID,
  DEFAULT_SECRET_ACCESS_KEY,
  type Emulator,
  startEmulator,
} from '../../src/emulator/index.ts';
import { createSilentLogger } from '../../src/observability/logger.ts';
import { testConfig } from '../helpers/agent-config.ts';
import { agentKubeEndpoint } from '../helpers/kube-stand-in.ts';

const clock = createManualClock(Date.now());
const dir = mkdtempSync(join(tmpdir(), 'key-source-down-'));
let emu: Emulator;
let agent: Agent;

beforeAll(async () => {
  emu = await startEmulator({ clock, kubeApi: true });
  const kubeApi = agentKubeEndpoint(emu, dir);
  emu.kubeApi!.setFaults({ outage: 'unavailable' });
  agent = await startAgent(
    testConfig([`--endpoint=${emu.url}`, '--rate-limit-per-client=0'], {
      kubeApi,
      verifyTokens: 'signature',
    }),
    {
      clock,
      logger: createSilentLogger(),
      nodeCredentials: { accessKeyId: DEFAULT_ACCESS_KEY_ID, secretAccessKey: DEFAULT_SECRET_ACCESS_KEY },
      refreshIntervalMs: 3_600_000,
    },
  );
});
afterAll(async () => {
  await agent.stop();
  await emu.stop();
  rmSync(dir, { recursive: true, force: true });
});

const ask = async (token: string) => {
  const res = await fetch(`${agent.url}/v1/credentials`, {
    headers: { authorization: token, host: new URL(agent.url).host },
  });
  return { status: res.status, body: (await res.json()) as Record<string, string> };
};
const calls = () => emu.stats().assumeRoleCalls;
const readyz = async () => {
  const res = await fetch(`${agent.metricsServer!.url}/readyz`);
  return { status: res.status, body: (await res.json()) as Record<string, unknown> };
};
const scrape = async () => (await fetch(`${agent.metricsServer!.url}/metrics`)).text();
let n = 0;
const pod = (name = `pod-${++n}`) => ({
  namespace: 'default',
  serviceAccount: 'app',
  podName: name,
  podUid: crypto.randomUUID(),
});
function forge(token: string): string {
  const [h, p] = token.split('.');
  const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
  return `${h}.${p}.${sign('sha256', Buffer.from(`${h}.${p}`), privateKey).toString('base64url')}`;
}

describe('key source down at start, then recovering', () => {
  const early = pod('early');
  let earlyToken: string;
  let earlyBody: Record<string, string>;

  test('listeners are up and pods are served in claims mode; logs, metrics and readiness say so', async () => {
    await agent.verification.keySource!.start();
    expect(agent.verification.mode()).toBe('claims');
    earlyToken = await emu.issueToken(early);
    const res = await ask(earlyToken);
    expect(res.status).toBe(200);
    earlyBody = res.body;
    const ready = await readyz();
    expect(ready.status).toBe(200);
    expect(ready.body.verification).toMatchObject({
      mode: 'claims',
      keySource: 'kube-api',
      keysLoaded: false,
    });
    const metrics = await scrape();
    expect(metrics).toContain('pod_identity_verification_mode{mode="claims"} 1');
    expect(metrics).toContain('pod_identity_verification_mode{mode="signature"} 0');
    expect(metrics).toContain('pod_identity_signing_keys 0');
  });

  test('claims mode never keys by unverified claims: a forged token for a cached pod is not served its credentials', async () => {
    const before = calls();
    const res = await ask(forge(earlyToken));
    expect(res.status).not.toBe(200);
    // It cost an EKS Auth call (claims mode cannot tell), and EKS Auth refused it.
    expect(calls()).toBe(before + 1);
  });

  test('within one refresh after the source recovers, requests are verified', async () => {
    emu.kubeApi!.resetFaults();
    // The next claims-mode miss after the rate-limit interval asks the key source to load.
    clock.advance(30_000);
    expect((await ask(await emu.issueToken(pod()))).status).toBe(200);
    await agent.verification.keySource!.refresh();
    expect(agent.verification.mode()).toBe('signature');
    expect(await scrape()).toContain('pod_identity_verification_mode{mode="signature"} 1');
    expect((await readyz()).body.verification).toMatchObject({ mode: 'signature', keysLoaded: true });
  });

  test('now a forged token is refused locally with no EKS Auth call', async () => {
    const before = calls();
    const res = await ask(forge(await emu.issueToken(pod())));
    expect(res).toMatchObject({ status: 403, body: { code: 'TokenRejected' } });
    expect(calls()).toBe(before);
  });

  test('a pod first served in claims mode: its rotated token is a hit during an EKS Auth outage', async () => {
    emu.setFaults({ outage: true });
    try {
      const before = calls();
      clock.advance(60_000);
      const rotated = await emu.issueToken(early);
      expect(rotated).not.toBe(earlyToken);
      const res = await ask(rotated);
      expect(res.status).toBe(200);
      expect(res.body.AccessKeyId).toBe(earlyBody.AccessKeyId!);
      expect(calls()).toBe(before);
    } finally {
      emu.resetFaults();
    }
  });
});

describe('key source failing after keys loaded', () => {
  test('the last good set keeps verifying', async () => {
    emu.kubeApi!.setFaults({ outage: 'unavailable' });
    clock.advance(30_000);
    expect(await agent.verification.keySource!.refresh()).toBe(false);
    expect(agent.verification.mode()).toBe('signature');
    expect((await ask(await emu.issueToken(pod()))).status).toBe(200);
  });

  test('a token signed with a key rotated in while the source fails: retryable 503, never 403; then 200', async () => {
    await emu.rotateSigningKey();
    const token = await emu.issueToken(pod());
    clock.advance(30_000);
    const failing = await ask(token);
    expect(failing).toMatchObject({ status: 503, body: { code: 'KeysUnavailable' } });
    // Recovered, but the source was asked moments ago: rate-limited, still 503.
    emu.kubeApi!.resetFaults();
    expect((await ask(token)).status).toBe(503);
    clock.advance(30_000);
    expect((await ask(token)).status).toBe(200);
  });
});

test('an API server that never answers does not hold the listeners: served in claims mode while the load hangs', async () => {
  const hangDir = mkdtempSync(join(tmpdir(), 'key-source-hang-'));
  const hanging = await startEmulator({ kubeApi: true });
  const kubeApi = agentKubeEndpoint(hanging, hangDir);
  hanging.kubeApi!.setFaults({ outage: 'hang' });
  const started = await startAgent(
    testConfig([`--endpoint=${hanging.url}`], { kubeApi, verifyTokens: 'signature' }),
    {
      logger: createSilentLogger(),
      nodeCredentials: { accessKeyId: DEFAULT_ACCESS_KEY_ID, secretAccessKey: DEFAULT_SECRET_ACCESS_KEY },
      withoutSideListeners: true,
    },
  );
  try {
    // The first key load is still waiting for the API server (nothing loaded, no error yet).
    expect(started.verification.keySource!.status()).toMatchObject({ loaded: false, lastError: undefined });
    const res = await fetch(`${started.url}/v1/credentials`, {
      headers: {
        authorization: await hanging.issueToken({ namespace: 'default', serviceAccount: 'app' }),
        host: new URL(started.url).host,
      },
    });
    expect(res.status).toBe(200);
    expect(started.verification.mode()).toBe('claims');
    // The key request did reach the API server, which holds it.
    for (let i = 0; i < 100 && !hanging.kubeApi!.stats().byPath['/openid/v1/jwks']; i++) await Bun.sleep(20);
    expect(hanging.kubeApi!.stats().byPath['/openid/v1/jwks']).toBe(1);
    expect(started.verification.keySource!.status().loaded).toBe(false);
  } finally {
    await started.stop();
    await hanging.stop();
    rmSync(hangDir, { recursive: true, force: true });
  }
});

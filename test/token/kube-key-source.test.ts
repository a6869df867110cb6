// The in-cluster key source: /openid/v1/jwks from the API-server stand-in with the mounted token and CA;
// background first load with quick retries, rate-limited unknown-kid refreshes whose outcome decides 503 vs
// 403, the last good set kept through outages and persisted for a restart.
import { afterAll, afterEach, beforeAll, describe, expect, test } from 'bun:test';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createManualClock, type Timers } from '../../src/clock.ts';
import { type Emulator, startEmulator } from '../../src/emulator/index.ts';
import { createKubeApiClient, type KubeApiClient } from '../../src/kube/api-client.ts';
import { createLogger, createSilentLogger } from '../../src/observability/logger.ts';
import { createKeySource, type KeySourceOptions } from '../../src/token/jwks.ts';
import { createTokenVerifier } from '../../src/token/token-verifier.ts';
import { agentKubeEndpoint } from '../helpers/kube-stand-in.ts';

let emu: Emulator;
let kubeApi: KubeApiClient;
const dir = mkdtempSync(join(tmpdir(), 'kube-keys-test-'));
const logger = createSilentLogger();

/** Timers the test fires by hand: no waiting for real time. */
function manualTimers() {
  const pending = new Map<number, { callback: () => void; ms: number }>();
  let next = 0;
  const timers: Timers = {
    setTimeout(callback, ms) {
      pending.set(++next, { callback, ms });
      return next;
    },
    clearTimeout: (handle) => void pending.delete(handle as number),
  };
  return {
    timers,
    delays: () => [...pending.values()].map((p) => p.ms),
    /** Runs the due timer(s) and waits until the refresh they start has settled. */
    async fire(settle: () => Promise<unknown>) {
      const due = [...pending.entries()];
      pending.clear();
      for (const [, p] of due) p.callback();
      await settle();
    },
  };
}

beforeAll(async () => {
  emu = await startEmulator({ kubeApi: true });
  kubeApi = createKubeApiClient({ endpoint: agentKubeEndpoint(emu, dir), timeoutMs: 500 });
});
afterEach(() => emu.kubeApi!.resetFaults());
afterAll(async () => {
  await emu.stop();
  rmSync(dir, { recursive: true, force: true });
});

const source = (options: Partial<KeySourceOptions> = {}) => createKeySource({ kubeApi, logger, ...options });
const pod = { namespace: 'default', serviceAccount: 'app', podName: 'web-1' };

describe('kube-api key source', () => {
  test('loads the API server keys with the mounted token; status names the source, never a secret', async () => {
    const keys = source();
    await keys.start();
    keys.close();
    expect(keys.status()).toMatchObject({
      kind: 'kube-api',
      location: `${kubeApi.baseUrl}/openid/v1/jwks`,
      loaded: true,
      keys: 1,
      lastError: undefined,
    });
    const verifier = createTokenVerifier({ keySource: keys, issuer: undefined, workers: 0 });
    expect((await verifier.verify(await emu.issueToken(pod))).podName).toBe('web-1');
    await verifier.close();
  });

  test('down at start: nothing loaded, quick doubling retries, loaded within one retry of recovery', async () => {
    emu.kubeApi!.setFaults({ outage: 'unavailable' });
    const t = manualTimers();
    const lines: string[] = [];
    const capture = createLogger('info', { write: (line: string) => void lines.push(line) });
    const keys = source({
      timers: t.timers,
      initialRetryMs: 1000,
      minRefreshIntervalMs: 30_000,
      logger: capture,
    });
    await keys.start();
    expect(keys.status()).toMatchObject({ loaded: false, lastError: expect.stringContaining('HTTP 503') });
    const logged = lines.map((l) => JSON.parse(l) as { level: string; msg: string; reason?: string });
    expect(logged[0]).toMatchObject({
      level: 'warn',
      msg: 'token signing keys could not be loaded; serving in claims mode until they load',
      reason: 'Kubernetes API /openid/v1/jwks answered HTTP 503 (ServiceUnavailable)',
    });
    expect(t.delays()).toEqual([1000]);
    await t.fire(() => keys.refresh());
    expect(t.delays()).toEqual([2000]);
    await t.fire(() => keys.refresh());
    expect(t.delays()).toEqual([4000]);
    emu.kubeApi!.resetFaults();
    await t.fire(() => keys.refresh());
    expect(keys.status().loaded).toBe(true);
    expect(lines.map((l) => JSON.parse(l).msg).at(-1)).toBe(
      'token signing keys loaded; tokens are verified from now on',
    );
    // Loaded: the next refresh is the periodic one.
    expect(t.delays()).toEqual([3_600_000]);
    keys.close();
  });

  test('unknown kid: 503 while the source fails or is rate-limited, 403 only after a fresh load', async () => {
    const clock = createManualClock(Date.now());
    const keys = source({ clock, minRefreshIntervalMs: 30_000 });
    await keys.start();
    keys.close();
    const verifier = createTokenVerifier({ keySource: keys, issuer: undefined, workers: 0, clock });
    try {
      // The cluster rotates its signing key while the API server is down.
      await emu.rotateSigningKey();
      const rotated = await emu.issueToken(pod);
      emu.kubeApi!.setFaults({ outage: 'unavailable' });
      clock.advance(30_000);
      await expect(verifier.verify(rotated)).rejects.toMatchObject({ code: 'KeysUnavailable', status: 503 });
      // The API server is back, but the last attempt was just now: rate-limited, still 503 (never 403).
      emu.kubeApi!.resetFaults();
      await expect(verifier.verify(rotated)).rejects.toMatchObject({ code: 'KeysUnavailable', status: 503 });
      // One refresh interval later the new key loads and the token verifies.
      clock.advance(30_000);
      expect((await verifier.verify(rotated)).podName).toBe('web-1');
      // A kid the API server does not publish, checked by a fresh load: 403.
      clock.advance(30_000);
      const [h, p, s] = rotated.split('.');
      const header = { ...JSON.parse(Buffer.from(h!, 'base64url').toString()), kid: 'not-a-cluster-key' };
      const forged = `${Buffer.from(JSON.stringify(header)).toString('base64url')}.${p}.${s}`;
      await expect(verifier.verify(forged)).rejects.toMatchObject({ code: 'TokenRejected', status: 403 });
    } finally {
      await verifier.close();
    }
  });

  test('the last good set survives outages and is persisted: a restart during an outage still verifies', async () => {
    const persistFile = join(dir, 'jwks-cache.json');
    const first = source({ persistFile });
    await first.start();
    first.close();
    expect(existsSync(persistFile)).toBe(true);
    const token = await emu.issueToken(pod);

    emu.kubeApi!.setFaults({ outage: 'unavailable' });
    expect(await first.refresh()).toBe(false);
    expect(first.status()).toMatchObject({ loaded: true, lastError: expect.stringContaining('503') });

    const restarted = source({ persistFile });
    expect(restarted.status()).toMatchObject({ loaded: true, fromPersisted: true });
    await restarted.start();
    restarted.close();
    const verifier = createTokenVerifier({ keySource: restarted, issuer: undefined, workers: 0 });
    expect((await verifier.verify(token)).podName).toBe('web-1');
    await verifier.close();
  });

  test('a corrupt persisted file is ignored, not trusted', async () => {
    const persistFile = join(dir, 'corrupt.json');
    await Bun.write(persistFile, '{"keys": "nope"}');
    emu.kubeApi!.setFaults({ outage: 'unavailable' });
    const keys = source({ persistFile });
    expect(keys.status().loaded).toBe(false);
    keys.close();
  });

  test('a 403 from RBAC is reported with its reason', async () => {
    emu.kubeApi!.setFaults({ forbidden: true });
    const keys = source();
    await keys.start();
    keys.close();
    expect(keys.status().lastError).toBe('Kubernetes API /openid/v1/jwks answered HTTP 403 (Forbidden)');
  });
});

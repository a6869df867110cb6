// SIGTERM under load: the `server` process stops accepting, finishes what is in flight, and exits 0.
import { afterAll, beforeAll, expect, test } from 'bun:test';
import { join } from 'node:path';
import {
  DEFAULT_ACCESS_KEY_ID,
  DEFAULT_SECRET_ACCESS_KEY,
  type Emulator,
  startEmulator,
} from '../../src/emulator/index.ts';
import { freePort } from '../helpers/free-port.ts';

const CLI = join(import.meta.dir, '../../src/cli.ts');
let emulator: Emulator;

beforeAll(async () => {
  emulator = await startEmulator();
});
afterAll(() => emulator.stop());

async function waitReady(url: string, deadlineMs: number): Promise<void> {
  while (Date.now() < deadlineMs) {
    try {
      const res = await fetch(url);
      await res.arrayBuffer();
      if (res.status === 200) return;
    } catch {}
    await Bun.sleep(25);
  }
  throw new Error(`not ready: ${url}`);
}

test('SIGTERM during load: every in-flight request succeeds, the process exits 0, new connections are refused', async () => {
  const [port, probePort, metricsPort] = [freePort(), freePort(), freePort()];
  const proc = Bun.spawn(
    [
      process.execPath,
      CLI,
      'server',
      '-c',
      'test',
      '-b',
      '127.0.0.1',
      '-p',
      String(port),
      '--probe-port',
      String(probePort),
      '--metrics-address',
      '127.0.0.1',
      '--metrics-port',
      String(metricsPort),
      '--endpoint',
      emulator.url,
      '--token-issuer',
      emulator.url,
      '--rate-limit-per-client=0',
      '--shutdown-timeout=10s',
    ],
    {
      env: {
        PATH: process.env['PATH'] ?? '',
        AWS_REGION: 'us-west-2',
        AWS_ACCESS_KEY_ID: DEFAULT_ACCESS_KEY_ID,
        AWS_SECRET_ACCESS_KEY: DEFAULT_SECRET_ACCESS_KEY,
      },
      stdout: 'pipe',
      stderr: 'pipe',
    },
  );
  try {
    await waitReady(`http://localhost:${probePort}/readyz`, Date.now() + 10_000);
    const url = `http://127.0.0.1:${port}/v1/credentials`;
    const hot = await emulator.issueToken({ namespace: 'default', serviceAccount: 'app', podName: 'hot' });
    const warm = await fetch(url, { headers: { authorization: hot } });
    expect(warm.status).toBe(200);
    await warm.arrayBuffer();

    // Misses that are in flight upstream when the signal arrives, plus a stream of hits.
    emulator.setFaults({ latencyMs: 400 });
    const fresh = await Promise.all(
      Array.from({ length: 20 }, (_, i) =>
        emulator.issueToken({ namespace: 'default', serviceAccount: 'app', podName: `p${i}` }),
      ),
    );
    const inFlight = fresh.map((t) =>
      fetch(url, { headers: { authorization: t } }).then(async (r) => ({
        status: r.status,
        body: await r.text(),
      })),
    );
    const hits = Array.from({ length: 50 }, () =>
      fetch(url, { headers: { authorization: hot } }).then(async (r) => ({
        status: r.status,
        body: await r.text(),
      })),
    );
    await Bun.sleep(150);
    proc.kill('SIGTERM');
    const results = await Promise.all([...inFlight, ...hits]);
    expect(results.filter((r) => r.status !== 200)).toEqual([]);
    for (const r of results) expect(JSON.parse(r.body)).toHaveProperty('AccessKeyId');

    const code = await Promise.race([proc.exited, Bun.sleep(10_000).then(() => 'timeout')]);
    expect(code).toBe(0);
    const after = await fetch(url, { headers: { authorization: hot } }).then(
      (r) => r.status,
      (e: Error) => e.name,
    );
    expect(after).not.toBe(200);
    const stdout = await new Response(proc.stdout).text();
    expect(stdout).toContain('agent stopped');
  } finally {
    emulator.resetFaults();
    proc.kill('SIGKILL');
  }
});

// /readyz tells a configuration that cannot work from a bad day: it fails, with a reason, when no node
// credentials can be resolved, when the region is unknown to the endpoint resolver (and no --endpoint is
// given), or when a configured key source never loaded within its grace period; it stays ready through an
// EKS Auth outage.
import { afterAll, describe, expect, test } from 'bun:test';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type Agent, startAgent } from '../../src/agent/agent.ts';
import { createManualClock } from '../../src/clock.ts';
import { DEFAULT_ACCESS_KEY_ID, DEFAULT_SECRET_ACCESS_KEY, startEmulator } from '../../src/emulator/index.ts';
import { createSilentLogger } from '../../src/observability/logger.ts';
import { testConfig } from '../helpers/agent-config.ts';
import { freePort } from '../helpers/free-port.ts';

const nodeCredentials = { accessKeyId: DEFAULT_ACCESS_KEY_ID, secretAccessKey: DEFAULT_SECRET_ACCESS_KEY };
const dir = mkdtempSync(join(tmpdir(), 'readiness-test-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

async function readyz(agent: Agent) {
  const res = await fetch(`${agent.probeServer!.url}/readyz`);
  return { status: res.status, body: (await res.json()) as { reasons?: string[]; status: string } };
}

describe('in-process agents', () => {
  test('an EKS Auth outage never makes the agent unready', async () => {
    const emu = await startEmulator();
    const agent = await startAgent(testConfig([`--endpoint=${emu.url}`], { probeAddress: '127.0.0.1' }), {
      logger: createSilentLogger(),
      nodeCredentials,
    });
    try {
      emu.setFaults({ outage: true });
      const token = await emu.issueToken({ namespace: 'default', serviceAccount: 'app' });
      const res = await fetch(`${agent.url}/v1/credentials`, {
        headers: { authorization: token, host: new URL(agent.url).host },
      });
      expect(res.status).toBe(503);
      const ready = await readyz(agent);
      expect(ready.status).toBe(200);
      expect(ready.body.reasons).toBeUndefined();
    } finally {
      await agent.stop();
      await emu.stop();
    }
  });

  test('a region no partition claims, without --endpoint: unready, naming the region and the fix', async () => {
    const agent = await startAgent(testConfig([], { region: 'xx-nowhere-1', probeAddress: '127.0.0.1' }), {
      logger: createSilentLogger(),
      nodeCredentials,
    });
    try {
      const ready = await readyz(agent);
      expect(ready.status).toBe(503);
      expect(ready.body.reasons).toEqual([
        'region xx-nowhere-1 is in no AWS partition the endpoint resolver knows: set --endpoint',
      ]);
    } finally {
      await agent.stop();
    }
  });

  test('a key source that never loads: ready in claims mode during the grace period, then unready with the reason', async () => {
    const clock = createManualClock(Date.now());
    const missing = join(dir, 'no-such-jwks.json');
    const agent = await startAgent(
      testConfig([`--jwks-file=${missing}`, '--key-source-grace=1m'], { probeAddress: '127.0.0.1' }),
      { clock, logger: createSilentLogger(), nodeCredentials },
    );
    try {
      await agent.verification.keySource!.start();
      expect((await readyz(agent)).status).toBe(200);
      clock.advance(60_000);
      const ready = await readyz(agent);
      expect(ready.status).toBe(503);
      expect(ready.body.reasons).toEqual([
        `token signing keys have not loaded from file ${missing} within 60 s: JWKS file is unreadable (serving in claims mode meanwhile)`,
      ]);
    } finally {
      await agent.stop();
    }
  });
});

test('a server process whose node credentials cannot be resolved: unready with the SDK chain reason', async () => {
  const [port, probePort, metricsPort] = [freePort(), freePort(), freePort()];
  const proc = Bun.spawn(
    [
      process.execPath,
      'src/cli.ts',
      'server',
      ...['-c', 'test', '-b', '127.0.0.1', '-p', String(port), '--probe-address', '127.0.0.1'],
      ...[
        '--probe-port',
        String(probePort),
        '--metrics-address',
        '127.0.0.1',
        '--metrics-port',
        String(metricsPort),
      ],
    ],
    {
      // No keys in the environment, no shared files (HOME is empty), IMDS switched off: nothing resolves.
      env: {
        PATH: process.env.PATH ?? '',
        HOME: dir,
        AWS_REGION: 'us-west-2',
        AWS_EC2_METADATA_DISABLED: 'true',
      },
      stdout: 'pipe',
      stderr: 'pipe',
    },
  );
  try {
    const deadline = Date.now() + 20_000;
    let last: { status: number; body: { reasons?: string[] } } | undefined;
    while (Date.now() < deadline) {
      try {
        const res = await fetch(`http://127.0.0.1:${probePort}/readyz`);
        last = { status: res.status, body: (await res.json()) as { reasons?: string[] } };
        if (last.body.reasons?.some((r) => r.startsWith('node AWS credentials unavailable'))) break;
      } catch {}
      await Bun.sleep(100);
    }
    expect(last?.status).toBe(503);
    expect(last?.body.reasons).toEqual([expect.stringMatching(/^node AWS credentials unavailable: /)]);
  } finally {
    proc.kill();
    await proc.exited;
  }
}, 30_000);

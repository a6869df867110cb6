// The probe socket and `probe`: during a surge rollout two agents share the probe port, so kubelet's HTTP probe
// may be answered by the old one; the exec startup probe asks the new pod's own agent on its Unix socket.
import { afterAll, expect, test } from 'bun:test';
import { existsSync, lstatSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startAgent } from '../../src/agent/agent.ts';
import { systemClock } from '../../src/clock.ts';
import { startProbeSocket } from '../../src/http/metrics-server.ts';
import { runProbeCommand } from '../../src/http/probe-command.ts';
import { createSilentLogger } from '../../src/observability/logger.ts';
import { testConfig } from '../helpers/agent-config.ts';
import { createFakeEksAuth } from '../helpers/fake-eks-auth.ts';

const dir = mkdtempSync(join(tmpdir(), 'probe-socket-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

async function probe(argv: string[]) {
  let out = '';
  let err = '';
  const code = await runProbeCommand(argv, {
    stdout: (t) => {
      out += t;
    },
    stderr: (t) => {
      err += t;
    },
  });
  return { code, out, err };
}

test('`probe` is 0 while the agent on the socket is ready, 1 with its reason when it is not, 1 once it is gone', async () => {
  const path = join(dir, 'agent.sock');
  const start = (args: string[], overrides = {}) =>
    startAgent(testConfig([`--probe-socket=${path}`, ...args], { probeAddress: '127.0.0.1', ...overrides }), {
      client: createFakeEksAuth(systemClock),
      logger: createSilentLogger(),
    });
  const agent = await start([]);
  try {
    const ready = await probe(['--socket', path]);
    expect(ready.code).toBe(0);
    expect(ready.out).toStartWith('200 {"status":"ok"');
    expect((await probe(['--socket', path, '--path', '/healthz'])).code).toBe(0);
  } finally {
    await agent.stop();
  }
  const gone = await probe(['--socket', path]);
  expect(gone.code).toBe(1);
  expect(gone.err).toStartWith(`probe: no answer on ${path}`);

  // An unconfigured agent: the socket answers 503 with what to set.
  const unconfigured = await start([], { clusterName: '' });
  try {
    const r = await probe(['--socket', path]);
    expect(r.code).toBe(1);
    expect(r.err).toContain('503');
    expect(r.err).toContain('CLUSTER_NAME');
  } finally {
    await unconfigured.stop();
  }
});

test('a stale socket file (an earlier container of the same pod) is replaced; any other file is an error', async () => {
  const path = join(dir, 'stale.sock');
  // A process that dies by SIGKILL leaves its socket file behind, with nothing listening.
  const crashed = Bun.spawn(
    [
      process.execPath,
      '-e',
      `Bun.listen({ unix: ${JSON.stringify(path)}, socket: { data() {} } }); console.log('up'); await Bun.sleep(60000);`,
    ],
    { stdout: 'pipe', stderr: 'inherit' },
  );
  await crashed.stdout.getReader().read();
  crashed.kill('SIGKILL');
  await crashed.exited;
  expect(lstatSync(path).isSocket()).toBe(true);
  expect((await probe(['--socket', path])).code).toBe(1);

  const probes = { liveness: () => ({ ok: true }), readiness: () => ({ ok: true }) };
  const replaced = startProbeSocket({ path, probes });
  expect((await probe(['--socket', path])).code).toBe(0);
  await replaced.stop();
  expect(existsSync(path)).toBe(false);

  const plain = join(dir, 'plain-file');
  writeFileSync(plain, 'not a socket');
  expect(() => startProbeSocket({ path: plain, probes })).toThrow(`probe socket cannot listen on ${plain}`);
  expect(readFileSync(plain, 'utf8')).toBe('not a socket');
});

test('bad flags are usage errors', async () => {
  await expect(probe(['--path', '/metrics'])).rejects.toThrow('--path must be /readyz or /healthz');
  await expect(probe(['--bogus'])).rejects.toThrow('unknown flag');
});

// The `emulator` subcommand: flags, config file, the printed URL line, and stopping on signals.
import { afterAll, describe, expect, test } from 'bun:test';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runEmulatorCommand } from '../../src/emulator/command.ts';
import type { Emulator } from '../../src/emulator/index.ts';
import { callAssumeRole, errorOf } from './signed-fetch.ts';

const dir = mkdtempSync(join(tmpdir(), 'emulator-command-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function writeConfig(name: string, content: unknown): string {
  const path = join(dir, name);
  writeFileSync(path, typeof content === 'string' ? content : JSON.stringify(content));
  return path;
}

async function run(argv: string[]) {
  const out: string[] = [];
  const err: string[] = [];
  const code = await runEmulatorCommand(argv, { out: (l) => out.push(l), err: (l) => err.push(l) });
  return { code, out, err };
}

describe('bad flags and config -> one stderr line, exit 2', () => {
  const cases: [string, () => string[], RegExp][] = [
    ['unknown flag', () => ['--verbose'], /unknown flag "--verbose"/],
    ['port not a number', () => ['--port', 'http'], /--port must be an integer/],
    ['port out of range', () => ['--port=70000'], /--port must be an integer from 0 to 65535/],
    ['missing value', () => ['--host'], /--host needs a value/],
    ['flag twice', () => ['--port', '1', '--port', '2'], /--port given twice/],
    ['missing config file', () => ['--config', join(dir, 'absent.json')], /cannot read \(ENOENT\)/],
    ['config not JSON', () => ['--config', writeConfig('bad.json', '{')], /not valid JSON/],
    ['config unknown field', () => ['--config', writeConfig('u.json', { ttl: 1 })], /unknown field 'ttl'/],
    [
      'config bad faults',
      () => ['--config', writeConfig('f.json', { faults: { failWith: 'X' } })],
      /failWith/,
    ],
    [
      'config key without secret',
      () => ['--config', writeConfig('k.json', { accessKeyId: 'AKIA1' })],
      /together/,
    ],
  ];
  for (const [name, argv, message] of cases) {
    test(name, async () => {
      const r = await run(argv());
      expect(r.code).toBe(2);
      expect(r.out).toEqual([]);
      expect(r.err).toHaveLength(1);
      expect(r.err[0]).toMatch(message);
    });
  }

  test('--help prints usage and exits 0', async () => {
    const r = await run(['--help']);
    expect(r.code).toBe(0);
    expect(r.out[0]).toContain('--config FILE');
  });
});

test('config file applies keys, credential lifetime, associations and faults', async () => {
  const config = writeConfig('ok.json', {
    credentialTtlSeconds: 900,
    accessKeyId: 'AKIAOTHERKEY00000000',
    secretAccessKey: 'other-secret',
    associations: [{ namespace: 'ns', serviceAccount: 'sa', roleArn: 'arn:aws:iam::123456789012:role/r' }],
    faults: { maxTps: 1 },
  });
  let stop = () => {};
  const stopRequested = new Promise<void>((resolve) => {
    stop = resolve;
  });
  let emu: Emulator | undefined;
  let started = () => {};
  const startedOnce = new Promise<void>((r) => (started = r));
  const out: string[] = [];
  const done = runEmulatorCommand(['--config', config, '--port', '0', '--host', '127.0.0.1'], {
    out: (l) => out.push(l),
    stopRequested,
    onStarted: (e) => {
      emu = e;
      started();
    },
  });
  await startedOnce;
  if (!emu) throw new Error('onStarted gave no emulator');
  expect(JSON.parse(out[0]!)).toEqual({ url: emu.url, port: emu.port });
  const token = await emu.issueToken({ namespace: 'ns', serviceAccount: 'sa' });
  const keys = { accessKeyId: 'AKIAOTHERKEY00000000', secretAccessKey: 'other-secret' };
  const res = await callAssumeRole(emu.url, token, keys);
  expect(res.status).toBe(200);
  const body = (await res.json()) as {
    credentials: { expiration: number };
    assumedRoleUser: { arn: string };
  };
  expect(body.credentials.expiration - Math.floor(Date.now() / 1000)).toBeWithin(880, 901);
  expect(body.assumedRoleUser.arn).toStartWith('arn:aws:sts::123456789012:assumed-role/r/');
  // The default pair is no longer accepted.
  expect((await errorOf(await callAssumeRole(emu.url, token))).code).toBe('UnrecognizedClientException');
  stop();
  expect(await done).toBe(0);
  await expect(fetch(emu.url)).rejects.toThrow();
});

for (const signal of ['SIGTERM', 'SIGINT'] as const) {
  test(`as a process: prints the URL line, serves, and exits 0 on ${signal}`, async () => {
    const proc = Bun.spawn(
      [process.execPath, new URL('./fixtures/run-emulator-command.ts', import.meta.url).pathname],
      {
        stdout: 'pipe',
        stderr: 'pipe',
      },
    );
    const reader = proc.stdout.getReader();
    let text = '';
    while (!text.includes('\n')) {
      const { done, value } = await reader.read();
      if (done) break;
      text += new TextDecoder().decode(value);
    }
    const { url } = JSON.parse(text.split('\n')[0]!) as { url: string };
    expect(url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    const discovery = (await (await fetch(`${url}/.well-known/openid-configuration`)).json()) as {
      issuer: string;
    };
    expect(discovery.issuer).toBe(url);
    proc.kill(signal);
    expect(await proc.exited).toBe(0);
  }, 20_000);
}

test('--kube-api-dir starts the API-server stand-in, writes the agent mount there and prints its URL', async () => {
  const saDir = join(dir, 'agent-sa');
  let stop = () => {};
  const stopRequested = new Promise<void>((resolve) => {
    stop = resolve;
  });
  let emu: Emulator | undefined;
  let started = () => {};
  const startedOnce = new Promise<void>((r) => (started = r));
  const out: string[] = [];
  const done = runEmulatorCommand(['--kube-api-dir', saDir], {
    out: (l) => out.push(l),
    stopRequested,
    onStarted: (e) => {
      emu = e;
      started();
    },
  });
  await startedOnce;
  if (!emu) throw new Error('onStarted gave no emulator');
  const kube = emu.kubeApi!;
  expect(JSON.parse(out[0]!)).toEqual({
    url: emu.url,
    port: emu.port,
    kubeApi: { url: kube.url, host: kube.host, port: kube.port },
  });
  const res = await fetch(`${kube.url}/openid/v1/jwks`, {
    headers: { authorization: `Bearer ${await Bun.file(join(saDir, 'token')).text()}` },
    tls: { ca: await Bun.file(join(saDir, 'ca.crt')).text() },
  });
  expect(res.status).toBe(200);
  stop();
  expect(await done).toBe(0);
});

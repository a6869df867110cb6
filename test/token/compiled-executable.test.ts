// Signature checks inside a `bun build --compile` executable run on the worker pool (mode 'workers'), for
// both places an executable can embed the worker (see verifyWorkerUrl): a test entry built with the worker
// (entrypoints' common directory: the repository), and the agent built by scripts/build-executable.sh (src/).
import { afterAll, expect, test } from 'bun:test';
import { generateKeyPairSync, sign } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { type AddressInfo, createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const root = join(import.meta.dir, '../..');
const dir = mkdtempSync(join(tmpdir(), 'verify-compiled-'));
const started: Bun.Subprocess[] = [];
afterAll(() => {
  for (const child of started) child.kill();
  rmSync(dir, { recursive: true, force: true });
});

test('a compiled test entry verifies on its embedded workers and exits when done', () => {
  const outfile = join(dir, 'verify-smoke');
  // The same flags as scripts/build-executable.sh: minifying must not break finding the worker.
  const build = Bun.spawnSync(
    [
      process.execPath,
      'build',
      '--compile',
      '--minify',
      '--sourcemap',
      join(import.meta.dir, 'fixtures/compiled-entry.ts'),
      join(root, 'src/token/verify-worker.ts'),
      '--outfile',
      outfile,
    ],
    { cwd: root, stderr: 'pipe', stdout: 'pipe' },
  );
  expect(build.exitCode, build.stderr.toString()).toBe(0);
  // Run from an empty directory so nothing can be loaded from the source tree. The fixture never closes
  // its pool: a kill by the timeout (exit code null) would mean idle workers keep the process alive.
  const run = Bun.spawnSync([outfile], { cwd: dir, stderr: 'pipe', stdout: 'pipe', timeout: 20_000 });
  expect(run.exitCode, run.stderr.toString()).toBe(0);
  const expected = Array.from({ length: 12 }, (_, i) => (i % 3 ? 'valid' : 'invalid-signature'));
  expect(JSON.parse(run.stdout.toString())).toEqual({
    mode: 'workers',
    results: expected,
    depth: 0,
    mainThreadId: 0,
  });
}, 60_000);

/** Free loopback ports, all held at once so they differ; released just before the agent binds them. */
async function freePorts(count: number): Promise<number[]> {
  const servers = Array.from({ length: count }, () => createServer());
  const ports = await Promise.all(
    servers.map(
      (s) =>
        new Promise<number>((resolve) =>
          s.listen(0, '127.0.0.1', () => resolve((s.address() as AddressInfo).port)),
        ),
    ),
  );
  await Promise.all(servers.map((s) => new Promise((resolve) => s.close(resolve))));
  return ports;
}

/** Resolves with the first stdout line containing `match`; keeps draining so the agent never blocks. */
function lineOf(stream: ReadableStream<Uint8Array>, match: string): Promise<string | undefined> {
  return new Promise((resolve) => {
    const decoder = new TextDecoder();
    let text = '';
    void (async () => {
      for await (const chunk of stream) {
        text += decoder.decode(chunk, { stream: true });
        const line = text.split('\n').find((l) => l.includes(match));
        if (line) resolve(line);
      }
      resolve(undefined);
    })();
  });
}

test('the agent built by scripts/build-executable.sh verifies tokens on its workers', async () => {
  const exe = join(dir, 'eks-pod-identity-agent');
  const build = Bun.spawnSync([join(root, 'scripts/build-executable.sh'), exe], {
    cwd: root,
    stderr: 'pipe',
  });
  expect(build.exitCode, build.stderr.toString()).toBe(0);

  const pair = generateKeyPairSync('rsa', { modulusLength: 2048 });
  const jwk = { ...pair.publicKey.export({ format: 'jwk' }), kid: 'k1', alg: 'RS256', use: 'sig' };
  writeFileSync(join(dir, 'jwks.json'), JSON.stringify({ keys: [jwk] }));
  const b64 = (v: unknown) => Buffer.from(JSON.stringify(v)).toString('base64url');
  const now = Math.floor(Date.now() / 1000);
  const pod = { namespace: 'a', serviceaccount: { name: 'b', uid: 'u' }, pod: { name: 'p', uid: 'pu' } };
  const claims = { sub: 'system:serviceaccount:a:b', aud: ['pods.eks.amazonaws.com'], 'kubernetes.io': pod };
  const signingInput = `${b64({ alg: 'RS256', kid: 'k1' })}.${b64({ ...claims, iat: now, nbf: now, exp: now + 3600 })}`;
  const signature = sign('sha256', Buffer.from(signingInput), pair.privateKey).toString('base64url');

  const [port, probePort, metricsPort] = await freePorts(3);
  // --workers 2: no inline path; a worker that could not start would answer InternalError (500).
  // The endpoint refuses connections: a token that passes verification fails upstream instead.
  const agent = Bun.spawn(
    [
      exe,
      'server',
      ...['--cluster-name', 'c', '--bind-hosts', '127.0.0.1', '--port', String(port)],
      ...['--probe-address', '127.0.0.1', '--probe-port', String(probePort)],
      ...['--metrics-address', '127.0.0.1', '--metrics-port', String(metricsPort)],
      ...['--jwks-file', join(dir, 'jwks.json'), '--workers', '2', '--endpoint', 'http://127.0.0.1:1'],
    ],
    {
      cwd: dir,
      env: {
        AWS_REGION: 'us-east-1',
        AWS_ACCESS_KEY_ID: 'AKIDEXAMPLE',
        AWS_SECRET_ACCESS_KEY: 'not-a-secret',
      },
      stdout: 'pipe',
      stderr: 'inherit',
    },
  );
  started.push(agent);
  const startedLine = await lineOf(agent.stdout, '"agent started"');
  expect(startedLine).toContain('"verifyTokens":"signature"');

  const ask = async (token: string) => {
    const res = await fetch(`http://127.0.0.1:${port}/v1/credentials`, { headers: { authorization: token } });
    return { status: res.status, code: ((await res.json()) as { code: string }).code };
  };
  const forged = `${signingInput}.${signature.slice(0, -6)}AAAAAA`;
  expect(await ask(forged)).toEqual({ status: 403, code: 'TokenRejected' });
  const genuine = await ask(`${signingInput}.${signature}`);
  expect(genuine.code).not.toBe('TokenRejected');
  expect(genuine.code).not.toBe('InternalError');
}, 60_000);

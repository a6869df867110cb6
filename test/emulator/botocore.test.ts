// Protocol proof: botocore's own eks-auth client (Python) calls the emulator and parses its answers.
import { afterAll, beforeAll, expect, test } from 'bun:test';
import { type Emulator, startEmulator } from '../../src/emulator/index.ts';

const SCRIPT = new URL('./botocore_eks_auth.py', import.meta.url).pathname;
let emu: Emulator;

beforeAll(async () => {
  emu = await startEmulator();
});
afterAll(() => emu.stop());

test('botocore eks-auth client: success, bad signature and bad token', async () => {
  const good = await emu.issueToken({ namespace: 'default', serviceAccount: 'botocore-sa' });
  const [h, p] = good.split('.');
  const badToken = `${h}.${p}.${Buffer.alloc(256, 7).toString('base64url')}`;
  const proc = Bun.spawn(['python3', SCRIPT, emu.url, good, badToken], {
    stdout: 'pipe',
    stderr: 'pipe',
    // No proxy may stand between botocore and the loopback emulator.
    env: {
      ...process.env,
      NO_PROXY: '*',
      AWS_CONFIG_FILE: '/dev/null',
      AWS_SHARED_CREDENTIALS_FILE: '/dev/null',
    },
  });
  const [stdout, stderr, exitCode] = await Promise.all([
    new Response(proc.stdout).text(),
    new Response(proc.stderr).text(),
    proc.exited,
  ]);
  const results = stdout
    .trim()
    .split('\n')
    .filter((l) => l.startsWith('{'))
    .map((l) => JSON.parse(l) as Record<string, unknown>);
  expect({ stderr: stderr.trim(), exitCode }).toEqual({ stderr: '', exitCode: 0 });
  expect(results).toEqual([
    {
      check: 'success',
      ok: true,
      expirationType: 'datetime',
      accessKeyPrefix: 'ASIA',
      roleArn: 'eks-pod-identity-default-botocore-sa',
    },
    { check: 'bad-signature', ok: true, code: 'InvalidSignatureException', status: 403 },
    { check: 'bad-token', ok: true, code: 'InvalidTokenException', status: 400 },
  ]);
  expect(emu.stats()).toMatchObject({
    assumeRoleCalls: 3,
    succeeded: 1,
    failed: 2,
    byCode: { InvalidSignatureException: 1, InvalidTokenException: 1 },
  });
}, 30_000);

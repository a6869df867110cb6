// Signature checks inside a `bun build --compile` executable run on the worker pool (mode 'workers'):
// the worker file is an extra entrypoint, as in scripts/build-executable.sh, and no inline fallback exists.
import { afterAll, expect, test } from 'bun:test';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const dir = mkdtempSync(join(tmpdir(), 'verify-compiled-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

test('a compiled executable verifies signatures on its embedded workers and exits when done', () => {
  const root = join(import.meta.dir, '../..');
  const outfile = join(dir, 'verify-smoke');
  // The same flags as scripts/build-executable.sh: minifying must not break the worker URL rewrite.
  const build = Bun.spawnSync(
    [
      process.execPath,
      'build',
      '--compile',
      '--minify',
      '--sourcemap',
      join(import.meta.dir, 'fixtures/compiled-entry.ts'),
      join(root, 'src/request/verify-worker.ts'),
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

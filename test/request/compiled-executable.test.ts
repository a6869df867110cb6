// Smoke test: signature checks work inside a `bun build --compile` executable (see signature-pool.ts for
// why the pool runs inline there).
import { afterAll, expect, test } from 'bun:test';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const dir = mkdtempSync(join(tmpdir(), 'verify-compiled-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

test('a compiled executable verifies signatures (inline fallback)', () => {
  const root = join(import.meta.dir, '../..');
  const outfile = join(dir, 'verify-smoke');
  const build = Bun.spawnSync(
    [
      process.execPath,
      'build',
      '--compile',
      join(import.meta.dir, 'fixtures/compiled-entry.ts'),
      join(root, 'src/request/verify-worker.ts'),
      '--outfile',
      outfile,
    ],
    { cwd: root, stderr: 'pipe', stdout: 'pipe' },
  );
  expect(build.exitCode, build.stderr.toString()).toBe(0);
  const run = Bun.spawnSync([outfile], { cwd: dir, stderr: 'pipe', stdout: 'pipe', timeout: 20_000 });
  expect(run.exitCode, run.stderr.toString()).toBe(0);
  expect(JSON.parse(run.stdout.toString())).toEqual({ mode: 'inline', result: 'valid' });
}, 60_000);

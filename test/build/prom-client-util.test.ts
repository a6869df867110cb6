// prom-client inside the executable gets src/observability/prom-client-util.ts for node:util
// (scripts/build-executable.ts, promClientLazyUtil): its errors read the same as from source, and the two
// functions are node:util's own.
import { afterAll, expect, test } from 'bun:test';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { format as utilFormat, inspect as utilInspect } from 'node:util';
import { bundleOptions } from '../../scripts/build-executable.ts';
import { format, inspect } from '../../src/observability/prom-client-util.ts';

const dir = mkdtempSync(join(tmpdir(), 'prom-client-util-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const fixture = resolve(import.meta.dir, 'fixtures/prom-client-errors.ts');

function messages(command: string[]): string[] {
  const run = Bun.spawnSync(command, { stdout: 'pipe', stderr: 'pipe' });
  expect(run.exitCode, run.stderr.toString()).toBe(0);
  return JSON.parse(run.stdout.toString()) as string[];
}

test('format and inspect answer as node:util does', () => {
  const values: unknown[] = [
    'x',
    1,
    Number.NaN,
    undefined,
    null,
    { v: 1 },
    ['a', 'b'],
    10n,
    [{ deep: { er: [1] } }],
  ];
  for (const v of values) {
    expect(format(v)).toBe(utilFormat(v));
    expect(inspect(v)).toBe(utilInspect(v));
  }
  expect(format('%s=%d', 'a', 2)).toBe('a=2');
});

test("prom-client's errors read the same bundled with the executable's options as from source", async () => {
  // Unminified, so that a require of node:util would keep its name.
  const build = await Bun.build({
    ...bundleOptions,
    entrypoints: [fixture],
    splitting: false,
    minify: false,
    outdir: dir,
  });
  expect(build.success).toBe(true);
  const bundle = join(dir, 'prom-client-errors.js');
  const text = await Bun.file(bundle).text();
  // The plugin did its work: prom-client's modules are in the bundle, node:util is not required by them.
  expect(text).toContain('Value is not a valid number');
  expect(text).not.toMatch(/require\("(node:)?util"\)/);
  const fromSource = messages([process.execPath, fixture]);
  expect(fromSource.filter((m) => m !== 'no error')).toHaveLength(5);
  expect(messages([process.execPath, bundle])).toEqual(fromSource);
});

// What a server loads before its first request, as the executable's bundle has it: the Node built-ins among the
// static imports of the CLI and the agent (what a dynamic import() reaches loads later, when it is used). Under
// Bun most node: modules are JavaScript that each agent would load and keep: node:net, loaded for isIP alone,
// cost ~0.4 MB of resident memory and node:fs/promises ~0.1-0.2 MB (README footprint (10)). A built-in added to
// this list should be measured first (`bun bench/footprint-ab-probe.ts`).
import { expect, test } from 'bun:test';
import { posix, resolve } from 'node:path';

const root = resolve(import.meta.dir, '../..');

test('the server starts with node:fs, node:os and node:path and no other Node built-in', async () => {
  const build = await Bun.build({
    entrypoints: [resolve(root, 'src/cli.ts'), resolve(root, 'src/agent/agent.ts')],
    target: 'bun',
    format: 'esm',
    splitting: true,
  });
  expect(build.success).toBe(true);
  const byName = new Map(build.outputs.map((o) => [o.path.replace(/^\.\//, ''), o]));
  const transpiler = new Bun.Transpiler({ loader: 'js' });
  const builtins = new Set<string>();
  const seen = new Set<string>();
  const servesAt: string[] = [];
  const visit = async (name: string) => {
    if (seen.has(name)) return;
    seen.add(name);
    const output = byName.get(name);
    if (output === undefined) throw new Error(`no output ${name}`);
    const text = (await output.text()).replace(/^#!.*\n/, '');
    if (text.includes('Bun.serve({')) servesAt.push(name);
    for (const imp of transpiler.scanImports(text)) {
      if (imp.kind !== 'import-statement') continue;
      if (imp.path.startsWith('.')) await visit(posix.join(posix.dirname(name), imp.path));
      else builtins.add(imp.path.replace(/^node:/, ''));
    }
  };
  const entries = build.outputs
    .filter((o) => o.kind === 'entry-point')
    .map((o) => o.path.replace(/^\.\//, ''));
  expect(entries.sort()).toEqual(['agent/agent.js', 'cli.js']);
  for (const entry of entries) await visit(entry);
  // The walk reached the agent's code: a start-up chunk calls Bun.serve.
  expect(servesAt.length).toBeGreaterThan(0);
  expect([...builtins].sort()).toEqual(['fs', 'os', 'path']);
});

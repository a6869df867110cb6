// What a server loads before its first request, as the executable's bundle has it: the Node built-ins among the
// static imports of the CLI and the agent and the requires of the CommonJS modules they bundle (what a dynamic
// import() reaches loads later, when it is used). Under Bun most node: modules are JavaScript that each agent
// would load and keep: node:net, loaded for isIP alone, and node:fs/promises cost ~0.4 MB of resident memory,
// node:util, which prom-client requires for its error messages, ~0.5 MB at 250 pods (README footprint (10)).
// A built-in added to this list should be measured first (`bun bench/footprint-ab-probe.ts`).
import { expect, test } from 'bun:test';
import { posix, resolve } from 'node:path';
import { bundleOptions } from '../../scripts/build-executable.ts';

const root = resolve(import.meta.dir, '../..');

test('the server starts with node:fs and node:os and no other Node built-in', async () => {
  // The executable's own bundler options (its plugin too), unminified so that requires keep their names, and the
  // agent module as a second entry so its start-up chunks are told from what the CLI loads only when asked.
  const build = await Bun.build({
    ...bundleOptions,
    entrypoints: [resolve(root, 'src/cli.ts'), resolve(root, 'src/agent/agent.ts')],
    minify: false,
  });
  expect(build.success).toBe(true);
  const byName = new Map(build.outputs.map((o) => [o.path.replace(/^\.\//, ''), o]));
  const transpiler = new Bun.Transpiler({ loader: 'js' });
  const builtins = new Set<string>();
  const seen = new Set<string>();
  const servesAt: string[] = [];
  let reachesPromClientUtil = false;
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
    if (text.includes('// src/observability/prom-client-util.ts')) reachesPromClientUtil = true;
    // CommonJS dependencies (prom-client) require built-ins inside their module wrappers, run at start; a module
    // of ours that one requires (promClientLazyUtil's prom-client-util.ts) is a chunk required the same way, not
    // imported, so it is followed like an import. import.meta.require is what __require stands for.
    for (const match of text.matchAll(/(?:__require|import\.meta\.require)\("([^"]+)"\)/g)) {
      const path = match[1] as string;
      if (path.startsWith('.')) await visit(posix.join(posix.dirname(name), path));
      else builtins.add(path.replace(/^node:/, ''));
    }
  };
  const entries = build.outputs
    .filter((o) => o.kind === 'entry-point')
    .map((o) => o.path.replace(/^\.\//, ''));
  expect(entries.sort()).toEqual(['agent/agent.js', 'cli.js']);
  for (const entry of entries) await visit(entry);
  // The walk reached the agent's code: a start-up chunk calls Bun.serve.
  expect(servesAt.length).toBeGreaterThan(0);
  // ... and the chunk prom-client's metric classes require for util.format/inspect.
  expect(reachesPromClientUtil).toBe(true);
  expect([...builtins].sort()).toEqual(['fs', 'os']);
});

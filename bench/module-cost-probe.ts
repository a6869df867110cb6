// What loading a module at start costs a compiled executable: the floor's server (bench/servers/bare-bun.ts) with
// one statement put in front of it (an import and a use of it), each variant compiled as the agent is (the
// executable's bundler options and plugin, bytecode, the JIT policy), started from a copy dropped from the page
// cache with the image's runtime environment, and read idle 1.5 s after it answers; alternated starts, medians, and
// the difference against the same server with no statement (README footprint (10)).
// Usage: bun bench/module-cost-probe.ts REPS NAME=STATEMENT ...   (wrap it in flock /tmp/bench.lock)
//   e.g. bun bench/module-cost-probe.ts 3 "net=import { isIP } from 'node:net'; (globalThis as any).x = isIP('::1');"
import { mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { bundleOptions } from '../scripts/build-executable.ts';
import { imageRuntimeEnv } from './footprint.bench.ts';
import { freePort } from './lib/ports.ts';
import { dropFromPageCache, rssPages } from './lib/probe-steps.ts';
import { spawnChild, waitForOk } from './lib/processes.ts';
import { median } from './lib/stats.ts';

const REPO = resolve(import.meta.dir, '..');
const [repsArg, ...specs] = process.argv.slice(2);
if (!repsArg || specs.length === 0) throw new Error('usage: module-cost-probe.ts REPS NAME=STATEMENT ...');
const env = imageRuntimeEnv(readFileSync(join(REPO, 'Dockerfile'), 'utf8'));
const server = readFileSync(join(REPO, 'bench/servers/bare-bun.ts'), 'utf8');
const variants = [
  { name: 'base', statement: '' },
  ...specs.map((spec) => {
    const at = spec.indexOf('=');
    if (at <= 0) throw new Error(`not NAME=STATEMENT: ${spec}`);
    return { name: spec.slice(0, at), statement: spec.slice(at + 1) };
  }),
];

const dir = mkdtempSync(join(tmpdir(), 'pia-module-cost-'));
try {
  // Modules are found from the repository's node_modules, as the agent's are.
  symlinkSync(join(REPO, 'node_modules'), join(dir, 'node_modules'));
  writeFileSync(join(dir, 'body.json'), '{}');
  const exes = new Map<string, string>();
  for (const v of variants) {
    const entry = join(dir, `${v.name}.ts`);
    writeFileSync(entry, `${v.statement}\n${server}`);
    const exe = join(dir, v.name);
    const built = await Bun.build({
      ...bundleOptions,
      entrypoints: [entry],
      splitting: false,
      bytecode: true,
      compile: { outfile: exe, jitPolicy: 100 },
    });
    if (!built.success) throw new Error(`${v.name}: ${built.logs.join('\n')}`);
    exes.set(v.name, exe);
  }
  const readings = new Map<string, { rss: number; anon: number }[]>();
  for (let r = 0; r < Number(repsArg); r++) {
    for (const v of r % 2 === 0 ? variants : [...variants].reverse()) {
      const exe = exes.get(v.name) as string;
      dropFromPageCache(exe);
      const port = await freePort();
      const child = spawnChild([exe, String(port), join(dir, 'body.json')], { env });
      try {
        await waitForOk(`http://127.0.0.1:${port}/ok`, 15_000, child);
        await Bun.sleep(1500);
        const pages = rssPages(child.pid);
        readings.set(v.name, [...(readings.get(v.name) ?? []), { rss: pages.rss, anon: pages.anon }]);
      } finally {
        await child.stop();
      }
    }
  }
  const mb = (x: number) => Math.round(x * 10) / 10;
  const medians = (name: string) => {
    const rows = readings.get(name) ?? [];
    return { rss: median(rows.map((p) => p.rss)), anon: median(rows.map((p) => p.anon)) };
  };
  const base = medians('base');
  for (const v of variants) {
    const m = medians(v.name);
    console.log(
      JSON.stringify({
        variant: v.name,
        rss: m.rss,
        anon: m.anon,
        rssOverBase: mb(m.rss - base.rss),
        anonOverBase: mb(m.anon - base.anon),
        runs: readings.get(v.name),
      }),
    );
  }
} finally {
  rmSync(dir, { recursive: true, force: true });
}

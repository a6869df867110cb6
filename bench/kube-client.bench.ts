// Footprint of the agent's Kubernetes API client (src/kube/), against a bare fetch doing the same GET (the
// floor) and, when installed somewhere, @kubernetes/client-node: each probe runs in its own Bun process,
// reads one Node from the emulator's API-server stand-in through the in-cluster service account, and reports
// module load time, call time and RSS after a full collection. Probes alternate; medians of N runs; ratios
// against the bare fetch of the same run. Also the size of each probe compiled with `bun build --compile`.
//
//   npx bun bench/kube-client.bench.ts [runs=5] [--library-dir DIR]
//   (DIR: `npm install --prefix DIR @kubernetes/client-node@2.0.1`; not a dependency of this project)
import { copyFileSync, mkdirSync, mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { startEmulator } from '../src/emulator/index.ts';
import { median, round } from './lib/stats.ts';

interface Sample {
  loadMs: number;
  callMs: number;
  rssMb: number;
}
interface Probe {
  name: string;
  file: string;
  cwd: string;
  extraEnv?: Record<string, string>;
}

const args = process.argv.slice(2);
const runs = Number(args.find((a) => /^\d+$/.test(a)) ?? 5);
const libraryFlag = args.indexOf('--library-dir');
const libraryDir = libraryFlag >= 0 ? resolve(args[libraryFlag + 1]!) : undefined;
const here = import.meta.dir;
const bun = process.execPath;
const NODE = 'ip-10-0-0-1.us-west-2.compute.internal';

const emulator = await startEmulator({ kubeApi: true });
const kube = emulator.kubeApi!;
kube.nodes.store.add(NODE, [
  { key: 'eks-pod-identity-agent/not-ready', value: 'true', effect: 'NoSchedule' },
]);
const prefix = mkdtempSync(join(tmpdir(), 'kube-client-bench-'));
const saDir = kube.writeServiceAccountDir(
  join(prefix, 'var/run/secrets/kubernetes.io/serviceaccount'),
  'kube-system',
  'eks-pod-identity-agent',
);
const env = {
  ...process.env,
  SA_PREFIX: prefix,
  KUBERNETES_SERVICE_HOST: kube.host,
  KUBERNETES_SERVICE_PORT: String(kube.port),
  KUBE_NODE: NODE,
};

const probes: Probe[] = [
  { name: 'bare fetch (baseline)', file: join(here, 'kube-client/probe-bare.ts'), cwd: here },
  { name: 'src/kube client', file: join(here, 'kube-client/probe-ours.ts'), cwd: here },
];
if (libraryDir) {
  const file = join(libraryDir, 'kube-client-probe-library.ts');
  copyFileSync(join(here, 'kube-client/probe-library.ts'), file);
  probes.push({
    name: '@kubernetes/client-node',
    file,
    cwd: libraryDir,
    extraEnv: { NODE_EXTRA_CA_CERTS: join(saDir, 'ca.crt') },
  });
}

async function runProbe(probe: Probe): Promise<Sample> {
  const child = Bun.spawn([bun, probe.file], {
    cwd: probe.cwd,
    env: { ...env, ...probe.extraEnv },
    stdout: 'pipe',
    stderr: 'pipe',
  });
  const [out, err, code] = await Promise.all([
    new Response(child.stdout).text(),
    new Response(child.stderr).text(),
    child.exited,
  ]);
  if (code !== 0) throw new Error(`${probe.name} failed (${code}): ${err.slice(0, 400)}`);
  return JSON.parse(out.trim()) as Sample;
}

async function compiledBytes(probe: Probe, dir: string): Promise<number> {
  const outfile = join(dir, probe.name.replace(/\W+/g, '-'));
  const build = Bun.spawn([bun, 'build', '--compile', probe.file, '--outfile', outfile], {
    cwd: probe.cwd,
    stdout: 'ignore',
    stderr: 'pipe',
  });
  const [err, code] = await Promise.all([new Response(build.stderr).text(), build.exited]);
  if (code !== 0) throw new Error(`compiling ${probe.name} failed: ${err.slice(0, 400)}`);
  return statSync(outfile).size;
}

try {
  const samples = new Map<string, Sample[]>(probes.map((p) => [p.name, []]));
  for (let i = 0; i < runs; i++) {
    // Alternate the order, so a slower machine moment does not always fall on the same probe.
    const order = i % 2 === 0 ? probes : [...probes].reverse();
    for (const p of order) samples.get(p.name)!.push(await runProbe(p));
  }
  const buildDir = join(prefix, 'build');
  mkdirSync(buildDir);
  const sizes = new Map<string, number>();
  for (const p of probes) sizes.set(p.name, await compiledBytes(p, buildDir));

  const base = samples.get(probes[0]!.name)!;
  const baseRss = median(base.map((s) => s.rssMb));
  const baseSize = sizes.get(probes[0]!.name)!;
  console.log(`runs: ${runs} (medians; ratios against the bare fetch of this run)`);
  console.log('| probe | RSS MB | RSS ratio | +RSS MB | load ms | call ms | compiled MB | +compiled KB |');
  console.log('|---|---|---|---|---|---|---|---|');
  for (const p of probes) {
    const s = samples.get(p.name)!;
    const rss = median(s.map((x) => x.rssMb));
    const size = sizes.get(p.name)!;
    console.log(
      `| ${p.name} | ${round(rss)} | ${round(rss / baseRss)}x | ${round(rss - baseRss)} | ` +
        `${round(median(s.map((x) => x.loadMs)))} | ${round(median(s.map((x) => x.callMs)))} | ` +
        `${round(size / 1048576)} | ${round((size - baseSize) / 1024)} |`,
    );
  }
} finally {
  await emulator.stop();
  rmSync(prefix, { recursive: true, force: true });
}

// Alternated starts of executables (or of one executable under different environments), each from a copy read
// back from disk as the footprint scenario runs them: the floor's idle RSS, then per variant idle, 250 pods and
// 500 pods (each read 20 s after its fill, the runtime's own collection), with the fill's wall time and the
// agent's CPU for the first 250 misses (64 in flight). The image's runtime environment applies unless a variant
// overrides it.
// Usage: bun bench/footprint-ab-probe.ts FLOOR_EXE REPS NAME=EXE[=ENV:VALUE,ENV:VALUE] ...   (wrap it in flock
// /tmp/bench.lock; FLOOR_EXE: bench/servers/bare-bun.ts built with bun build --compile --minify)
//   e.g. bun bench/footprint-ab-probe.ts /tmp/floor 3 base=/tmp/a new=/tmp/b new-default-jit=/tmp/b=BUN_JSC_thresholdForJITAfterWarmUp:500
// Prints one JSON line per start (MB; ms).
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { imageRuntimeEnv } from './footprint.bench.ts';
import { startAgentProcess } from './lib/agent.ts';
import { startEmulatorProcess } from './lib/emulator.ts';
import { freePort } from './lib/ports.ts';
import { cpuMs, dropFromPageCache, settledPages } from './lib/probe-steps.ts';
import { spawnChild, waitForOk } from './lib/processes.ts';

const [floorExe, repsArg, ...specs] = process.argv.slice(2);
if (!floorExe || !repsArg || specs.length === 0)
  throw new Error('usage: footprint-ab-probe.ts FLOOR_EXE REPS NAME=EXE[=ENV:VALUE,...] ...');
const IMAGE_ENV = imageRuntimeEnv(readFileSync(resolve(import.meta.dir, '../Dockerfile'), 'utf8'));
const variants = specs.map((spec) => {
  const [name, exe, envs = ''] = spec.split('=') as [string, string, string?];
  const env: Record<string, string> = { ...IMAGE_ENV };
  for (const kv of envs.split(',').filter(Boolean)) {
    const [k, v] = kv.split(':') as [string, string];
    env[k] = v;
  }
  return { name, exe: resolve(exe), env };
});

/** One request per token of `file` from a client process (64 in flight); the fill's wall time in ms. */
function fill(url: string, file: string): number {
  const out = Bun.spawnSync(['bun', 'bench/clients/fill.ts', url, file, '64'], {
    cwd: resolve(import.meta.dir, '..'),
    stdout: 'pipe',
    stderr: 'pipe',
  });
  if (out.exitCode !== 0) throw new Error(out.stderr.toString());
  const result = JSON.parse(out.stdout.toString()) as { ms: number; failed: number };
  if (result.failed > 0) throw new Error(`fill: ${JSON.stringify(result)}`);
  return Math.round(result.ms);
}

const dir = mkdtempSync(join(tmpdir(), 'pia-footprint-ab-'));
const emulator = await startEmulatorProcess();
try {
  const issued = await emulator.issueTokens(500, { prefix: 'ab', concurrency: 32 });
  writeFileSync(join(dir, 'first.txt'), issued.slice(0, 250).join('\n'));
  writeFileSync(join(dir, 'second.txt'), issued.slice(250).join('\n'));
  writeFileSync(join(dir, 'body.json'), '{}');
  for (let r = 0; r < Number(repsArg); r++) {
    dropFromPageCache(floorExe);
    const port = await freePort();
    const child = spawnChild([floorExe, String(port), join(dir, 'body.json')]);
    let floor: number;
    try {
      await waitForOk(`http://127.0.0.1:${port}/ok`, 15_000, child);
      await Bun.sleep(1000);
      floor = (await settledPages(child.pid)).rss;
    } finally {
      await child.stop();
    }
    // Alternating order, so a slow moment of the shared machine does not always land on the same variant.
    for (const v of r % 2 === 0 ? variants : [...variants].reverse()) {
      dropFromPageCache(v.exe);
      const agent = await startAgentProcess({
        emulatorUrl: emulator.url,
        command: [v.exe, 'server'],
        args: ['--max-cache-size', '20000', '--max-upstream-concurrency', '64'],
        noWait: true,
        env: v.env,
      });
      try {
        await waitForOk(agent.readyUrl, 15_000, agent.child);
        const pid = agent.child.pid;
        await Bun.sleep(1000);
        const idle = await settledPages(pid);
        const cpuBefore = cpuMs(pid);
        const fillMs = fill(agent.credentialsUrl, join(dir, 'first.txt'));
        const fillCpuMs = cpuMs(pid) - cpuBefore;
        await Bun.sleep(20_000);
        const pods = await settledPages(pid);
        fill(agent.credentialsUrl, join(dir, 'second.txt'));
        await Bun.sleep(20_000);
        const pods500 = await settledPages(pid);
        const x = (mb: number) => Math.round((mb / floor) * 1000) / 1000;
        console.log(
          JSON.stringify({
            rep: r,
            variant: v.name,
            floor,
            idle,
            pods,
            pods500,
            idleX: x(idle.rss),
            podsX: x(pods.rss),
            fillMs,
            fillCpuMs,
          }),
        );
      } finally {
        await agent.stop();
      }
    }
  }
} finally {
  await emulator.stop();
  rmSync(dir, { recursive: true, force: true });
}

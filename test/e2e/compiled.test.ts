// The standalone executable (scripts/build-executable.sh, the same build the Dockerfile runs): it starts, and
// in a network namespace it initializes the node and serves credentials with its embedded token-verify worker.
import { afterAll, beforeAll, describe, expect, test } from 'bun:test';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import type { IDaemonSet } from 'kubernetes-models/apps/v1';
import pkg from '../../package.json' with { type: 'json' };
import { freePort } from '../helpers/free-port.ts';
import { K8S_DIR, loadManifests } from '../k8s/load-manifests.ts';
import { AGENT_ENV, type StartedProcess, setUpNode, startAgent, startEmulator } from './agent-stack.ts';
import { createNetnsRegistry, netnsUnavailableReason, REPO_ROOT, run } from './netns.ts';

const CLIENT = resolve(import.meta.dir, 'fixtures/credentials-client.ts');
// A private output directory: teammates' runs and dist/ are never touched.
const outDir = mkdtempSync(join(tmpdir(), 'agent-exe-'));
const exe = join(outDir, 'eks-pod-identity-agent');
const netns = createNetnsRegistry();
const processes: StartedProcess[] = [];

beforeAll(async () => {
  const build = await run([resolve(REPO_ROOT, 'scripts/build-executable.sh'), exe]);
  if (build.exitCode !== 0) throw new Error(`build failed: ${build.stderr.slice(0, 2000)}`);
}, 120_000);

afterAll(async () => {
  await Promise.all(processes.splice(0).map((p) => p.stop()));
  await netns.deleteAll();
  rmSync(outDir, { recursive: true, force: true });
});

describe('compiled executable', () => {
  test('`version` prints the package version and the pinned Bun', async () => {
    const result = await run([exe, 'version']);
    expect(result.exitCode).toBe(0);
    expect(result.stdout).toBe(
      `eks-pod-identity-agent ${pkg.version} (bun ${pkg.devDependencies.bun}, linux/${process.arch})\n`,
    );
  });

  test('`--help` lists the subcommands; `initialize --help` reaches the lazily loaded module', async () => {
    const help = await run([exe, '--help']);
    expect(help.exitCode).toBe(0);
    for (const sub of ['server', 'initialize', 'emulator', 'version'])
      expect(help.stdout).toMatch(new RegExp(`^  ${sub} `, 'm'));
    const init = await run([exe, 'initialize', '--help']);
    expect(init.exitCode).toBe(0);
    expect(init.stdout).toStartWith('Usage: eks-pod-identity-agent initialize');
  });

  test('bad usage exits 2 with one line', async () => {
    const result = await run([exe, 'no-such-subcommand']);
    expect(result.exitCode).toBe(2);
    expect(result.stderr.trim().split('\n')).toHaveLength(1);
  });

  test('the 8 KiB request-header limit is compiled in: a 12 KB header is 431 (Bun alone allows 16 KiB)', async () => {
    const port = freePort();
    const child = Bun.spawn([exe, 'emulator', '--port', String(port)], { stdout: 'pipe', stderr: 'pipe' });
    try {
      let status = 0;
      for (let i = 0; i < 100 && status === 0; i++) {
        try {
          const res = await fetch(`http://127.0.0.1:${port}/_emulator/stats`, {
            headers: { 'x-pad': 'p'.repeat(12_000) },
          });
          status = res.status;
          await res.arrayBuffer();
        } catch {
          await Bun.sleep(50);
        }
      }
      expect(status).toBe(431);
    } finally {
      child.kill();
      await child.exited;
    }
  });

  test('the build script leaves only the executable (chunks are embedded)', () => {
    expect([...new Bun.Glob('*').scanSync(outDir)]).toEqual(['eks-pod-identity-agent']);
  });
});

describe('image packaging stays in sync with the manifests', () => {
  const dockerfile = readFileSync(resolve(REPO_ROOT, 'Dockerfile'), 'utf8');
  test('the Dockerfile builds with the same script and installs the paths the DaemonSet runs', () => {
    expect(dockerfile).toMatch(/^RUN scripts\/build-executable\.sh dist\/eks-pod-identity-agent/m);
    expect(dockerfile).toContain(
      'COPY --from=build /src/dist/eks-pod-identity-agent /eks-pod-identity-agent',
    );
    expect(dockerfile).toContain('COPY scripts/go-runner /go-runner');
    // The build lays its bytecode out by the recorded order files (the build fails without them).
    expect(dockerfile).toContain('COPY scripts/bytecode-order/ scripts/bytecode-order/');
    expect(dockerfile).toMatch(/apt-get install .*iproute2/);
  });

  test('the runtime environment the image sets is the one the footprint bench runs the executable with', async () => {
    const { imageRuntimeEnv } = await import('../../bench/footprint.bench.ts');
    expect(imageRuntimeEnv(dockerfile)).toEqual({
      BUN_JSC_useFTLJIT: '0',
      BUN_JSC_useWarmUpMarkedBlocks: '0',
      BUN_JSC_thresholdForJITAfterWarmUp: '5000',
      BUN_JSC_thresholdForJITSoon: '1000',
    });
    const withEnv = Bun.spawnSync([exe, 'version'], {
      env: { ...process.env, ...imageRuntimeEnv(dockerfile) },
    });
    expect(withEnv.exitCode).toBe(0);
  });

  test("the image's baseline-JIT threshold is the one JavaScriptCore counts against", async () => {
    // BUN_JSC_thresholdForJITAfterWarmUp=5000 (JavaScriptCore's default 500): the miss path stays interpreted through
    // a node's first few hundred misses (README, footprint (9)). A Bun that renamed the option would silently drop
    // it; JavaScriptCore's OSR trace names the threshold a hot function's counter crossed. The runtime that built
    // the executable (the same Bun) runs a function hot enough for either threshold.
    const { imageRuntimeEnv } = await import('../../bench/footprint.bench.ts');
    const hot = 'function f(x){return x+1} let s=0; for (let i=0;i<100000;i++) s=f(s); console.log(s)';
    const thresholds = (env: Record<string, string>) => {
      const out = Bun.spawnSync([process.execPath, '-e', hot], {
        env: { ...process.env, ...env, BUN_JSC_verboseOSR: '1' },
        stdout: 'pipe',
        stderr: 'pipe',
      });
      expect(out.stdout.toString()).toBe('100000\n');
      const text = out.stdout.toString() + out.stderr.toString();
      return new Set([...text.matchAll(/executeCounter = [\d.]+\/(\d+)\.0+/g)].map((m) => m[1]));
    };
    expect(thresholds({})).toContain('500');
    const env = imageRuntimeEnv(dockerfile);
    // Later tiers' counters show their own (scaled) thresholds; the baseline one is the image's, never the default.
    const withImageEnv = thresholds(env);
    expect(withImageEnv).toContain(env['BUN_JSC_thresholdForJITAfterWarmUp']!);
    expect(withImageEnv).not.toContain('500');
  });

  /** The DaemonSet's startup probe command with its socket path replaced. */
  function startupProbe(socket: string): { program: string; args: string[] } {
    const ds = loadManifests(K8S_DIR).find((m) => m.doc.kind === 'DaemonSet')!.doc as unknown as IDaemonSet;
    const [program, ...args] = ds.spec!.template.spec!.containers[0]!.startupProbe!.exec!.command!;
    return { program: program!, args: args.map((a) => (a.endsWith('.sock') ? socket : a)) };
  }

  /** The executable's server in claims mode on loopback, answering on `socket`; resolves once the probe passes. */
  async function startProbedAgent(socket: string, env: Record<string, string | undefined>) {
    const port = () => String(freePort());
    const agent = Bun.spawn(
      [
        exe,
        'server',
        '-c',
        'exe',
        '-b',
        '127.0.0.1',
        '-p',
        port(),
        '--probe-port',
        port(),
        '--metrics-port',
        port(),
        '--metrics-address=127.0.0.1',
        '--verify-tokens=claims',
        `--probe-socket=${socket}`,
      ],
      { env, stdout: 'pipe', stderr: 'pipe' },
    );
    const probeArgs = startupProbe(socket).args;
    let result = await run([exe, ...probeArgs]);
    for (let i = 0; i < 100 && result.exitCode !== 0; i++) {
      await Bun.sleep(50);
      result = await run([exe, ...probeArgs]);
    }
    const stop = async () => {
      agent.kill('SIGTERM');
      await agent.exited;
    };
    return { agent, result, stop };
  }

  test("the DaemonSet's startup probe command, run by the executable, asks the agent on its probe socket", async () => {
    const socket = join(outDir, 'probe.sock');
    const { program, args } = startupProbe(socket);
    expect(program).toBe('/eks-pod-identity-agent');
    expect((await run([exe, ...args])).exitCode).toBe(1); // nothing listens yet
    const { result, stop } = await startProbedAgent(socket, AGENT_ENV);
    try {
      expect({ code: result.exitCode, err: result.stderr }).toEqual({ code: 0, err: '' });
      expect(result.stdout).toStartWith('200 ');
    } finally {
      await stop();
    }
  }, 30_000);

  test("with the image's runtime environment an idle agent runs no heap warm-up thread", async () => {
    // BUN_JSC_useWarmUpMarkedBlocks=0: without it JavaScriptCore starts a thread ("JSCWarmUp") once the heap has
    // grown past a few blocks, which keeps blocks touched ahead of allocation: ~0.5 MB of an idle agent's RSS and
    // ~1 MB in signature mode (README, footprint). A Bun that renamed or dropped the option would bring it back.
    const { imageRuntimeEnv } = await import('../../bench/footprint.bench.ts');
    const socket = join(outDir, 'warm-up.sock');
    const { agent, result, stop } = await startProbedAgent(socket, {
      ...AGENT_ENV,
      ...imageRuntimeEnv(dockerfile),
    });
    try {
      expect(result.exitCode).toBe(0);
      await Bun.sleep(1_500);
      const threads = readdirSync(`/proc/${agent.pid}/task`).map((t) =>
        readFileSync(`/proc/${agent.pid}/task/${t}/comm`, 'utf8').trim(),
      );
      expect(threads).toContain('HeapHelper'); // the listing sees JavaScriptCore's own threads
      expect(threads).not.toContain('JSCWarmUp');
    } finally {
      await stop();
    }
  }, 30_000);

  test('go-runner runs its arguments and passes their exit status through', async () => {
    const goRunner = resolve(REPO_ROOT, 'scripts/go-runner');
    expect(await run([goRunner, exe, 'version'])).toMatchObject({ exitCode: 0 });
    expect((await run([goRunner, 'sh', '-c', 'exit 7'])).exitCode).toBe(7);
    expect((await run([goRunner])).exitCode).toBe(2);
  });
});

const netnsReason = await netnsUnavailableReason();
if (netnsReason) console.warn(`skipping compiled-executable network-namespace smoke test: ${netnsReason}`);

describe.skipIf(netnsReason !== undefined)('compiled executable in a network namespace', () => {
  test('initialize, emulator and server from the executable; the AWS SDK gets credentials', async () => {
    const ns = await netns.add('exe');
    await setUpNode(netns, ns, { ipv6: true, program: [exe] });
    const emulator = await startEmulator(ns, [exe]);
    processes.push(emulator.process);
    // --token-issuer turns on signature checks on the worker pool: proves the worker is embedded.
    const { agent, listeners } = await startAgent(ns, emulator.url, [exe]);
    processes.push(agent);
    expect(listeners?.every((l) => l.bound)).toBe(true);
    expect(agent.output()).toContain('"verifyTokens":"signature"');
    // The pool runs inside the executable (workers default to at least 1), not the inline fallback.
    expect(agent.output()).toContain('"verification":"workers"');

    const client = await netns.exec(ns, [
      process.execPath,
      CLIENT,
      emulator.url,
      'http://169.254.170.23/v1/credentials',
    ]);
    expect(client.exitCode).toBe(0);
    const [result] = JSON.parse(client.stdout.trim().split('\n').at(-1)!) as Array<{
      ok: boolean;
      error?: string;
    }>;
    expect(result).toMatchObject({ ok: true });
  }, 60_000);
});

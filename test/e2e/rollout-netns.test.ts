// Zero-downtime rollout on a real kernel, as a DaemonSet with maxSurge: 1 / maxUnavailable: 0 does it on a
// node: pods keep asking for credentials while a second agent starts on the same addresses and ports
// (SO_REUSEPORT among our own instances), passes its own startup probe, and the first gets SIGTERM and drains.
// Not one request may fail and not one connection may be refused or reset, but for the kernel's own listener-close
// race (MAX_KERNEL_RACE_RESETS below), which the kernel counts and no code on top of it can close.
import { afterAll, beforeAll, describe, expect, test } from 'bun:test';
import { resolve } from 'node:path';
import type { IDaemonSet } from 'kubernetes-models/apps/v1';
import { K8S_DIR, loadManifests } from '../k8s/load-manifests.ts';
import {
  AGENT_ENV,
  collectLines,
  FROM_SOURCE,
  type StartedProcess,
  setUpNode,
  startEmulator,
  startIn,
} from './agent-stack.ts';
import { createNetnsRegistry, netnsUnavailableReason } from './netns.ts';

const LOAD = resolve(import.meta.dir, 'fixtures/rollout-load.ts');
const URLS = ['http://169.254.170.23/v1/credentials', 'http://[fd00:ec2::23]/v1/credentials'];
const PODS = 8;

/** The DaemonSet's --drain-delay flag, read from the manifest so the test runs what is shipped. */
const MANIFEST_DRAIN = (() => {
  const ds = loadManifests(K8S_DIR).find((m) => m.doc.kind === 'DaemonSet')!.doc as unknown as IDaemonSet;
  const args = ds.spec!.template.spec!.containers[0]!.args!.filter((a) => a.startsWith('--drain-delay='));
  if (args.length !== 1) throw new Error('the DaemonSet should set --drain-delay once');
  return args;
})();

const netns = createNetnsRegistry();
const processes: StartedProcess[] = [];
// Each agent's SIGTERM handover lasts --drain-delay (5 s by default) before it exits.
afterAll(async () => {
  await Promise.all(processes.splice(0).map((p) => p.stop()));
  await netns.deleteAll();
}, 30_000);

const skipReason = await netnsUnavailableReason();
if (skipReason) console.warn(`skipping rollout network-namespace test: ${skipReason}`);

interface Counts {
  ok: number;
  failed: number;
  connectionErrors: number;
}

/**
 * Resets of a fresh connection while A's listener closes that the kernel itself loses (README, rollouts;
 * scripts/listener-close-race.py shows it with Python sockets alone: 1-3 per ~3,000 listener closes on 2 CPUs):
 * a connection whose handshake or first segment is being handled on the other CPU as the listener closes is
 * dropped, not migrated, and the kernel counts it in TcpExt ListenDrops. The test tolerates at most this many
 * such resets, each of them counted by the kernel in the namespace; any other reset or failure fails it.
 */
const MAX_KERNEL_RACE_RESETS = 2;

/**
 * Connections the namespace's kernel dropped at a listener (/proc/net/netstat is per network namespace): TcpExt
 * ListenDrops, plus TCPMigrateReqFailure where the kernel has it (a request or child of the closing listener that
 * net.ipv4.tcp_migrate_req could not move to B's and reset instead; seen once in .ci/run, a reset with ListenDrops
 * unchanged).
 */
async function listenDrops(exec: (cmd: readonly string[]) => Promise<{ stdout: string }>): Promise<number> {
  const lines = (await exec(['cat', '/proc/net/netstat'])).stdout
    .split('\n')
    .filter((l) => l.startsWith('TcpExt:'));
  const [names, values] = lines.map((l) => l.split(/\s+/));
  const at = names?.indexOf('ListenDrops') ?? -1;
  if (at < 0 || values === undefined) throw new Error('no TcpExt ListenDrops in /proc/net/netstat');
  const migrateAt = names?.indexOf('TCPMigrateReqFailure') ?? -1;
  return Number(values[at]) + (migrateAt < 0 ? 0 : Number(values[migrateAt]));
}

describe.skipIf(skipReason !== undefined)('rolling update on one node', () => {
  let ns = '';
  let emulatorUrl = '';

  beforeAll(async () => {
    ns = await netns.add('rollout');
    const init = await setUpNode(netns, ns, { ipv6: true });
    // As on a node whose /proc/sys is writable: queued connections move to the new agent when the old closes.
    expect(init).toMatch(/tcp_migrate_req: (turned )?on/);
    const emulator = await startEmulator(ns);
    processes.push(emulator.process);
    emulatorUrl = emulator.url;
  });

  /**
   * One agent instance as the DaemonSet runs it: default addresses, port 80, probes 2703, metrics 2705, and the
   * manifest's own rollout flags (--drain-delay; --probe-socket, here one per instance as each pod has its /tmp).
   */
  async function startInstance(name: string): Promise<{ agent: StartedProcess; socket: string }> {
    const socket = `/tmp/rollout-${process.pid}-${name}.sock`;
    const flags = ['--cluster-name', 'e2e', '--endpoint', emulatorUrl, '--token-issuer', emulatorUrl];
    const agent = startIn(ns, ['server', ...flags, ...MANIFEST_DRAIN, `--probe-socket=${socket}`]);
    processes.push(agent);
    const started = await agent.stdout.waitFor((l) => l.includes('"agent started"'));
    if (started === undefined)
      throw new Error(`agent ${name} did not start: ${agent.output().slice(0, 1500)}`);
    return { agent, socket };
  }

  /** kubelet's exec startup probe of one instance: `eks-pod-identity-agent probe --socket ...`. */
  async function startupProbe(socket: string): Promise<number> {
    return (await netns.exec(ns, [...FROM_SOURCE, 'probe', '--socket', socket])).exitCode;
  }

  test('requests flow while agent B starts beside A and A is stopped: zero failures, no reset but the kernel listener race', async () => {
    const a = await startInstance('a');
    expect(await startupProbe(a.socket)).toBe(0);

    const load = Bun.spawn(
      ['ip', 'netns', 'exec', ns, process.execPath, LOAD, emulatorUrl, String(PODS), ...URLS],
      {
        stdin: 'pipe',
        stdout: 'pipe',
        stderr: 'pipe',
        env: AGENT_ENV,
      },
    );
    const out = collectLines(load.stdout);
    const send = (line: string) => {
      load.stdin.write(`${line}\n`);
      load.stdin.flush();
    };
    /** Waits until the current phase has served `n` more successes (bounded: a safety net, not a timing check). */
    const reports = () => out.lines.filter((l) => l.includes('"report"'));
    /** Waits until `phase` has served `n` successes (bounded: a safety net, not a timing check). */
    async function served(phase: string, n: number): Promise<Counts> {
      for (let i = 0; i < 400; i++) {
        const seen = reports().length;
        send('report');
        await out.waitFor(() => reports().length > seen, 5_000);
        const last = reports().at(-1);
        const counts = last ? (JSON.parse(last).phases[phase] as Counts | undefined) : undefined;
        if (counts && counts.ok >= n) return counts;
        await Bun.sleep(25);
      }
      throw new Error(`phase ${phase} never reached ${n} answers: ${out.lines.slice(-3).join(' | ')}`);
    }

    let dropsBefore = 0;
    let dropsDuringDrain = 0;
    try {
      await out.waitFor((l) => l.includes('"running"'));
      send('phase a-only');
      await served('a-only', 200);

      send('phase both');
      const b = await startInstance('b');
      // The new pod is judged by its own agent: its startup probe passes on its own socket.
      expect(await startupProbe(b.socket)).toBe(0);
      await served('both', 200);

      send('phase a-draining');
      dropsBefore = await listenDrops((cmd) => netns.exec(ns, cmd));
      a.agent.child.kill('SIGTERM');
      expect(await a.agent.child.exited).toBe(0);
      dropsDuringDrain = (await listenDrops((cmd) => netns.exec(ns, cmd))) - dropsBefore;
      expect(a.agent.output()).toContain('"agent stopped"');

      send('phase b-only');
      await served('b-only', 400);
      // A is gone: its socket answers no more, B's still does.
      expect(await startupProbe(a.socket)).toBe(1);
      expect(await startupProbe(b.socket)).toBe(0);
    } finally {
      send('stop');
    }
    expect(await load.exited).toBe(0);
    const summary = JSON.parse(out.lines.find((l) => l.includes('"summary"'))!) as {
      phases: Record<string, Counts>;
      failures: string[];
    };
    // The kernel's own race (above): a reset of a fresh connection (odd pods open one per request, rollout-load.ts)
    // that A's closing listener dropped, counted by the kernel.
    const kernelRace = summary.failures.filter((f) => /^a-draining pod-\d*[13579] ECONNRESET /.test(f));
    if (kernelRace.length > Math.min(MAX_KERNEL_RACE_RESETS, dropsDuringDrain))
      console.error(
        `rollout: resets ${JSON.stringify(kernelRace)}, kernel drops during the drain ${dropsDuringDrain}`,
      );
    expect(kernelRace.length).toBeLessThanOrEqual(Math.min(MAX_KERNEL_RACE_RESETS, dropsDuringDrain));
    expect(summary.failures.filter((f) => !kernelRace.includes(f))).toEqual([]);
    for (const [phase, counts] of Object.entries(summary.phases)) {
      expect({ phase, failed: counts.failed, connectionErrors: counts.connectionErrors }).toEqual({
        phase,
        failed: 0,
        connectionErrors: phase === 'a-draining' ? kernelRace.length : 0,
      });
    }
    expect(summary.phases['b-only']!.ok).toBeGreaterThanOrEqual(400);
  }, 120_000);
});

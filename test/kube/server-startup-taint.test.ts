// `server --startup-taint` as a process, configured the way the overlay configures it in a pod: NODE_NAME and
// KUBERNETES_SERVICE_HOST/PORT in the environment, the mounted service account, the flag in argv. Its log line,
// its metric and its /readyz detail say the taint went; the node keeps its other taints; no token is logged.
import { afterAll, expect, test } from 'bun:test';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { DEFAULT_ACCESS_KEY_ID, DEFAULT_SECRET_ACCESS_KEY } from '../../src/emulator/index.ts';
import type { NodeTaint } from '../../src/emulator/kube-api/nodes-routes.ts';
import { freePort } from '../helpers/free-port.ts';
import { startKubeApiFixture } from '../helpers/kube-api.ts';

const fixture = await startKubeApiFixture('server-taint-');
afterAll(() => fixture.stop());
const NODE = 'ip-10-0-3-4.us-west-2.compute.internal';
const KEY = 'eks-pod-identity-agent/not-ready';
const KARPENTER: NodeTaint = { key: 'karpenter.sh/disrupted', effect: 'NoSchedule' };

/** Reads the process's JSON log lines until one has `msg`, or the process ends; returns all lines read. */
async function logUntil(stream: ReadableStream<Uint8Array>, msg: string): Promise<Record<string, unknown>[]> {
  const lines: Record<string, unknown>[] = [];
  const decoder = new TextDecoder();
  let buffered = '';
  for await (const chunk of stream) {
    buffered += decoder.decode(chunk, { stream: true });
    let nl = buffered.indexOf('\n');
    while (nl >= 0) {
      const line = buffered.slice(0, nl);
      buffered = buffered.slice(nl + 1);
      if (line.startsWith('{')) lines.push(JSON.parse(line));
      if (lines.at(-1)?.['msg'] === msg) return lines;
      nl = buffered.indexOf('\n');
    }
  }
  return lines;
}

test('the taint goes once the server serves; log, metric and /readyz say so', async () => {
  const { kube, dir } = fixture;
  kube.nodes.store.add(NODE, [{ key: KEY, value: 'true', effect: 'NoSchedule' }, KARPENTER]);
  const [port, probePort, metricsPort] = [freePort(), freePort(), freePort()];
  const proc = Bun.spawn(
    [
      process.execPath,
      'src/cli.ts',
      'server',
      ...['-c', 'test', '-b', '127.0.0.1', '-p', String(port), '--endpoint', fixture.emu.url],
      ...['--probe-address', '127.0.0.1', '--probe-port', String(probePort)],
      ...['--metrics-address', '127.0.0.1', '--metrics-port', String(metricsPort)],
      ...['--service-account-dir', join(dir, 'sa'), `--startup-taint=${KEY}:NoSchedule`],
    ],
    {
      env: {
        PATH: process.env.PATH ?? '',
        HOME: dir,
        AWS_REGION: 'us-west-2',
        AWS_ACCESS_KEY_ID: DEFAULT_ACCESS_KEY_ID,
        AWS_SECRET_ACCESS_KEY: DEFAULT_SECRET_ACCESS_KEY,
        NODE_NAME: NODE,
        KUBERNETES_SERVICE_HOST: kube.host,
        KUBERNETES_SERVICE_PORT: String(kube.port),
      },
      stdout: 'pipe',
      stderr: 'pipe',
    },
  );
  // A bound on a hung start: the process is killed, its stdout ends, and the assertions below fail.
  const killer = setTimeout(() => proc.kill(), 20_000);
  try {
    const lines = await logUntil(proc.stdout, 'startup taint removed: the node accepts pods');
    expect(lines.at(-1)).toMatchObject({ node: NODE, taint: `${KEY}:NoSchedule`, attempts: 1 });
    expect((kube.nodes.store.get(NODE)!['spec'] as { taints?: NodeTaint[] }).taints).toEqual([KARPENTER]);
    expect(kube.nodes.requests().map((r) => `${r.method} ${r.status} ${r.user}`)).toEqual([
      'GET 200 system:serviceaccount:kube-system:eks-pod-identity-agent',
      'PATCH 200 system:serviceaccount:kube-system:eks-pod-identity-agent',
    ]);
    const metrics = await (await fetch(`http://127.0.0.1:${metricsPort}/metrics`)).text();
    expect(metrics).toContain('pod_identity_startup_taint{state="removed"} 1');
    const ready = (await (await fetch(`http://127.0.0.1:${probePort}/readyz`)).json()) as Record<
      string,
      unknown
    >;
    expect(ready['startupTaint']).toMatchObject({ node: NODE, state: 'removed', attempts: 1 });
    const token = readFileSync(join(dir, 'sa', 'token'), 'utf8').trim();
    expect(JSON.stringify(lines)).not.toContain(token);
  } finally {
    clearTimeout(killer);
    proc.kill();
    await proc.exited;
  }
}, 30_000);

// Scenario 6, start-up: time from exec to ready (first 200 from /readyz on the probe port), for the agent in
// claims mode, with --token-issuer (JWKS discovery and the worker pool) and in a cluster (keys from the
// emulated API server over HTTPS), vs a bare Bun.serve's first 200. For the two verifying kinds also the time
// until requests are verified (readiness detail mode=signature): keys load in the background.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startAgentProcess, waitForVerified } from './lib/agent.ts';
import { startEmulatorProcess } from './lib/emulator.ts';
import { freePort } from './lib/ports.ts';
import { spawnChild, waitForOk } from './lib/processes.ts';
import type { BenchContext, Scenario, ScenarioResult } from './lib/scenario.ts';
import { fmtRatio } from './lib/scenario.ts';
import { median, ratio, round } from './lib/stats.ts';

const READY_TIMEOUT_MS = 15_000;

export const startup: Scenario = {
  name: 'startup',
  title: 'Start-up: exec to ready',
  async run(ctx: BenchContext): Promise<ScenarioResult> {
    const reps = ctx.quick ? 3 : 7;
    const dir = mkdtempSync(join(tmpdir(), 'pia-bench-startup-'));
    const saDir = join(dir, 'serviceaccount');
    const emulator = await startEmulatorProcess({ kubeApiDir: saDir });
    const kube = emulator.kubeApi!;
    const bodyFile = join(dir, 'body.json');
    writeFileSync(bodyFile, '{}');
    const times: Record<string, number[]> = { claims: [], signature: [], cluster: [], bun: [] };
    const verifiedAt: Record<string, number[]> = { signature: [], cluster: [] };
    const kinds = Object.keys(times);
    try {
      for (let r = 0; r < reps; r++) {
        ctx.log(`startup: repetition ${r + 1}/${reps}`);
        for (let i = 0; i < kinds.length; i++) {
          const kind = kinds[(i + r) % kinds.length]!;
          if (kind === 'bun') {
            const port = await freePort();
            const startedAt = performance.now();
            const child = spawnChild(['bun', 'bench/servers/bare-bun.ts', String(port), bodyFile]);
            await waitForOk(`http://127.0.0.1:${port}/ok`, READY_TIMEOUT_MS, child);
            times['bun']!.push(performance.now() - startedAt);
            await child.stop();
            continue;
          }
          const args =
            kind === 'signature'
              ? ['--token-issuer', emulator.url]
              : kind === 'cluster'
                ? ['--service-account-dir', saDir]
                : [];
          const env: Record<string, string> =
            kind === 'cluster'
              ? { KUBERNETES_SERVICE_HOST: kube.host, KUBERNETES_SERVICE_PORT: String(kube.port) }
              : {};
          const startedAt = performance.now();
          const agent = await startAgentProcess({ emulatorUrl: emulator.url, args, env, noWait: true });
          await waitForOk(agent.readyUrl, READY_TIMEOUT_MS, agent.child);
          times[kind]!.push(performance.now() - startedAt);
          if (kind !== 'claims') {
            await waitForVerified(agent.readyUrl, READY_TIMEOUT_MS);
            verifiedAt[kind]!.push(performance.now() - startedAt);
          }
          await agent.stop();
        }
      }
    } finally {
      await emulator.stop();
      rmSync(dir, { recursive: true, force: true });
    }
    const claims = median(times['claims']!);
    const signature = median(times['signature']!);
    const cluster = median(times['cluster']!);
    const bun = median(times['bun']!);
    const verifiedIssuer = median(verifiedAt['signature']!);
    const verifiedCluster = median(verifiedAt['cluster']!);
    return {
      name: 'startup',
      title: this.title,
      rows: [
        {
          label: 'exec to ready, ms',
          values: {
            'agent (claims)': round(claims),
            'agent (--token-issuer)': round(signature),
            'agent (in a cluster)': round(cluster),
            'bare Bun.serve': round(bun),
            'claims/bare': round(ratio(claims, bun)),
            'min..max (claims)': `${round(Math.min(...times['claims']!))}..${round(Math.max(...times['claims']!))}`,
          },
        },
        {
          label: 'exec to verified mode, ms',
          values: {
            'agent (--token-issuer)': round(verifiedIssuer),
            'agent (in a cluster)': round(verifiedCluster),
            'in a cluster / claims ready': round(ratio(verifiedCluster, claims)),
          },
        },
      ],
      targets: [
        {
          name: 'ready after exec',
          target: '<= 300 ms',
          measured: `${round(claims)} ms (${fmtRatio(ratio(claims, bun))} bare Bun)`,
          pass: claims <= 300,
        },
        {
          name: 'ready after exec, --token-issuer',
          target: '<= 300 ms',
          measured: `${round(signature)} ms`,
          pass: signature <= 300,
        },
        {
          name: 'ready after exec, in a cluster (keys from the API server)',
          target: '<= 300 ms',
          measured: `${round(cluster)} ms; verified mode after ${round(verifiedCluster)} ms`,
          pass: cluster <= 300,
        },
      ],
      notes: [
        `Median of ${reps} alternating starts; the clock starts just before spawn (port reservation excluded) and stops at the first 200 from /readyz (polled every 2 ms), which itself requests the data listener.`,
      ],
    };
  },
};

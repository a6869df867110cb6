// Scenario 6, start-up: time from exec to ready (first 200 from /readyz on the probe port), for the agent in
// claims mode and with --token-issuer (JWKS discovery and the worker pool), vs a bare Bun.serve's first 200.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startAgentProcess } from './lib/agent.ts';
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
    const emulator = await startEmulatorProcess();
    const dir = mkdtempSync(join(tmpdir(), 'pia-bench-startup-'));
    const bodyFile = join(dir, 'body.json');
    writeFileSync(bodyFile, '{}');
    const times: Record<string, number[]> = { claims: [], signature: [], bun: [] };
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
          const args = kind === 'signature' ? ['--token-issuer', emulator.url] : [];
          const startedAt = performance.now();
          const agent = await startAgentProcess({ emulatorUrl: emulator.url, args, noWait: true });
          await waitForOk(agent.readyUrl, READY_TIMEOUT_MS, agent.child);
          times[kind]!.push(performance.now() - startedAt);
          await agent.stop();
        }
      }
    } finally {
      await emulator.stop();
      rmSync(dir, { recursive: true, force: true });
    }
    const claims = median(times['claims']!);
    const signature = median(times['signature']!);
    const bun = median(times['bun']!);
    return {
      name: 'startup',
      title: this.title,
      rows: [
        {
          label: 'exec to ready, ms',
          values: {
            'agent (claims)': round(claims),
            'agent (--token-issuer)': round(signature),
            'bare Bun.serve': round(bun),
            'claims/bare': round(ratio(claims, bun)),
            'min..max (claims)': `${round(Math.min(...times['claims']!))}..${round(Math.max(...times['claims']!))}`,
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
      ],
      notes: [
        `Median of ${reps} alternating starts; the clock starts just before spawn (port reservation excluded) and stops at the first 200 from /readyz (polled every 2 ms), which itself requests the data listener.`,
      ],
    };
  },
};

// Starts the bare Bun.serve baseline (bench/servers/bare-bun.ts) as a separate process.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort } from './ports.ts';
import { type Child, spawnChild, waitForOk } from './processes.ts';

export interface BareBunProcess {
  readonly url: string;
  readonly child: Child;
  stop(): Promise<void>;
}

export async function startBareBun(body: string, delayMs = 0): Promise<BareBunProcess> {
  const dir = mkdtempSync(join(tmpdir(), 'pia-bench-bun-'));
  const bodyFile = join(dir, 'body.json');
  writeFileSync(bodyFile, body);
  const port = await freePort();
  const child = spawnChild(['bun', 'bench/servers/bare-bun.ts', String(port), bodyFile, String(delayMs)]);
  await waitForOk(`http://127.0.0.1:${port}/ok`, 10_000, child);
  return {
    url: `http://127.0.0.1:${port}/v1/credentials`,
    child,
    async stop() {
      await child.stop();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

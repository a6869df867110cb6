// Runs bench/clients/hit-prober.ts beside a load and collects its cache-hit latency percentiles.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export interface ProbeResult {
  count: number;
  p50Ms: number;
  p99Ms: number;
  errors: number;
}

/**
 * Probes `url` with `token` while `during` runs (plus settleMs before it), then stops the prober.
 * `prefix` goes before the prober's command, e.g. ['taskset', '-c', '0'] to pin it to a core.
 */
export async function probeDuring<T>(
  url: string,
  token: string,
  during: () => Promise<T>,
  settleMs = 200,
  prefix: readonly string[] = [],
): Promise<{ probe: ProbeResult; result: T }> {
  // The token goes through a file, never argv (argv is visible to every user of the machine).
  const dir = mkdtempSync(join(tmpdir(), 'pia-bench-probe-'));
  const tokenFile = join(dir, 'token');
  writeFileSync(tokenFile, token, { mode: 0o600 });
  const proc = Bun.spawn([...prefix, 'bun', 'bench/clients/hit-prober.ts', url, tokenFile, '1'], {
    stdout: 'pipe',
    stderr: 'pipe',
  });
  try {
    // Wait for the prober to say it has started, so the load does not begin before it.
    const reader = (proc.stderr as ReadableStream<Uint8Array>).getReader();
    await reader.read();
    reader.releaseLock();
    await Bun.sleep(settleMs);
    const result = await during();
    proc.kill('SIGTERM');
    const out = await new Response(proc.stdout).text();
    await proc.exited;
    return { probe: JSON.parse(out) as ProbeResult, result };
  } finally {
    proc.kill('SIGKILL');
    rmSync(dir, { recursive: true, force: true });
  }
}

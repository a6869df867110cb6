// What the footprint probes (bench/footprint-probe.ts, footprint-residue-probe.ts, footprint-modes-probe.ts) share: RSS split into
// anonymous and file-backed pages, and a cache fill from a separate client process.
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { settledRssMb } from './processes.ts';

const REPO_ROOT = resolve(import.meta.dir, '../..');

/** KB to MB, one decimal. */
export const mbOfKb = (kb: number) => Math.round(kb / 102.4) / 10;

/** RSS split into anonymous and file-backed pages, MB (/proc/PID/smaps_rollup). */
export function rssPages(pid: number): { rss: number; anon: number; file: number } {
  const text = readFileSync(`/proc/${pid}/smaps_rollup`, 'utf8');
  const kb = (field: string) => Number(new RegExp(`^${field}:\\s+(\\d+)`, 'm').exec(text)?.[1] ?? 0);
  return { rss: mbOfKb(kb('Rss')), anon: mbOfKb(kb('Anonymous')), file: mbOfKb(kb('Rss') - kb('Anonymous')) };
}

/** rssPages once the process's RSS has settled (processes.ts settledRssMb). */
export async function settledPages(pid: number): Promise<{ rss: number; anon: number; file: number }> {
  await settledRssMb(pid);
  return rssPages(pid);
}

/**
 * One request per token in `tokensFile` (64 in flight, bench/clients/fill.ts) from a process that then exits.
 * Async, so the agent's stderr keeps draining while the fill runs.
 */
export async function fillFromClient(url: string, tokensFile: string): Promise<void> {
  const child = Bun.spawn(['bun', 'bench/clients/fill.ts', url, tokensFile, '64'], {
    cwd: REPO_ROOT,
    stdout: 'pipe',
    stderr: 'pipe',
  });
  if ((await child.exited) !== 0) throw new Error(await new Response(child.stderr).text());
}

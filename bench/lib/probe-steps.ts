// What the footprint probes (bench/footprint-probe.ts, footprint-residue-probe.ts, footprint-modes-probe.ts,
// footprint-ab-probe.ts) and the footprint scenario share: RSS split into anonymous and file-backed pages, a cache
// fill from a separate client process, a process's CPU time, and dropping an executable from the page cache.
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

/** utime + stime of a process in ms (clock ticks of 10 ms), from /proc/PID/stat. */
export function cpuMs(pid: number): number {
  const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
  return (Number(fields[11]) + Number(fields[12])) * 10;
}

/** Pages of `file` in the page cache (util-linux fincore), or undefined where fincore is missing. */
function residentPages(file: string): number | undefined {
  try {
    const out = Bun.spawnSync(['fincore', '--noheadings', '--output', 'PAGES', file], {
      stdout: 'pipe',
      stderr: 'pipe',
    });
    return out.exitCode === 0 ? Number(out.stdout.toString().trim()) : undefined;
  } catch {
    return undefined; // no fincore on this machine
  }
}

/**
 * Flushes `file` and drops it from the page cache (dd iflag=nocache), so its next start maps pages read back from
 * disk, as a node's image file is, not pages just written (README, "File-backed pages depend on how the executable
 * got into the page cache"). Throws where the drop did not take (tmpfs keeps every page).
 */
export function dropFromPageCache(file: string): void {
  for (const cmd of [
    ['sync', file],
    ['dd', `if=${file}`, 'iflag=nocache', 'count=0', 'status=none'],
  ]) {
    const out = Bun.spawnSync(cmd, { stdout: 'pipe', stderr: 'pipe' });
    if (out.exitCode !== 0) throw new Error(`${cmd.join(' ')} failed:\n${out.stderr.toString()}`);
  }
  const left = residentPages(file);
  if (left !== undefined && left > 0)
    throw new Error(`${file}: ${left} pages still in the page cache after dd iflag=nocache`);
}

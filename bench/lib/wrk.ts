// Runs wrk (keep-alive HTTP load) against a URL and parses throughput, latency percentiles and failures.

export interface WrkResult {
  requestsPerSec: number;
  p50Ms: number;
  p99Ms: number;
  requests: number;
  /** Non-2xx/3xx answers plus socket errors: must be 0 for a valid hot-path measurement. */
  failures: number;
}

export interface WrkOptions {
  url: string;
  connections: number;
  durationSec: number;
  /** Loader threads; one by default so the server keeps the other core of a 2-core machine. */
  threads?: number;
  headers?: Record<string, string>;
  /** A Lua script path (wrk -s). */
  script?: string;
}

let available: boolean | undefined;

/** Whether the `wrk` binary is on PATH (cached). */
export function hasWrk(): boolean {
  available ??= Bun.which('wrk') !== null;
  return available;
}

export const WRK_INSTALL_HINT = 'wrk is not installed: apt-get update && apt-get install -y wrk';

function toMs(value: string, unit: string): number {
  const n = Number(value);
  if (unit === 'us') return n / 1000;
  if (unit === 'ms') return n;
  if (unit === 's') return n * 1000;
  if (unit === 'm') return n * 60_000;
  throw new Error(`unknown wrk latency unit ${unit}`);
}

export function parseWrkOutput(text: string): WrkResult {
  const rps = /Requests\/sec:\s+([\d.]+)/.exec(text);
  const p50 = /^\s+50%\s+([\d.]+)(us|ms|s|m)\s*$/m.exec(text);
  const p99 = /^\s+99%\s+([\d.]+)(us|ms|s|m)\s*$/m.exec(text);
  const total = /(\d+) requests in/.exec(text);
  if (!rps || !p50 || !p99 || !total) throw new Error(`cannot parse wrk output:\n${text}`);
  const non2xx = /Non-2xx or 3xx responses:\s+(\d+)/.exec(text);
  const socket = /Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)/.exec(text);
  const socketErrors = socket ? socket.slice(1).reduce((a, b) => a + Number(b), 0) : 0;
  return {
    requestsPerSec: Number(rps[1]),
    p50Ms: toMs(p50[1]!, p50[2]!),
    p99Ms: toMs(p99[1]!, p99[2]!),
    requests: Number(total[1]),
    failures: Number(non2xx?.[1] ?? 0) + socketErrors,
  };
}

export async function runWrk(options: WrkOptions): Promise<WrkResult> {
  const threads = Math.min(options.threads ?? 1, options.connections);
  const cmd = [
    'wrk',
    '-t',
    String(threads),
    '-c',
    String(options.connections),
    '-d',
    `${options.durationSec}s`,
    '--latency',
    '--timeout',
    '5s',
  ];
  for (const [name, value] of Object.entries(options.headers ?? {})) cmd.push('-H', `${name}: ${value}`);
  if (options.script) cmd.push('-s', options.script);
  cmd.push(options.url);
  const proc = Bun.spawn(cmd, { stdout: 'pipe', stderr: 'pipe' });
  const [out, err] = await Promise.all([new Response(proc.stdout).text(), new Response(proc.stderr).text()]);
  const code = await proc.exited;
  if (code !== 0) throw new Error(`wrk exited ${code}: ${err || out}`);
  return parseWrkOutput(out);
}

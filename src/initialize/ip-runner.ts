// Runs iproute2's `ip` as a child process with an argument list (never a shell), bounded in time and output.
import { isIPv4 } from 'node:net';
import { readBounded } from '../shared/bounded-read.ts';

export interface IpResult {
  readonly exitCode: number;
  readonly stdout: string;
  readonly stderr: string;
}

/** One `ip` invocation; never throws: a missing binary or a timeout comes back as a failed result. */
export type IpRunner = (args: readonly string[]) => Promise<IpResult>;

export interface IpRunnerOptions {
  /** Path or name of the `ip` binary; looked up on PATH when it has no slash. */
  ipPath?: string;
  /** Kills a hung `ip` (e.g. a stuck netlink socket) so the init container cannot block a node forever. */
  timeoutMs?: number;
  /** Output kept per stream; `ip -j addr` on a busy node is a few kB, so this is generous. */
  maxOutputBytes?: number;
}

export const IP_RUNNER_DEFAULTS = { ipPath: 'ip', timeoutMs: 10_000, maxOutputBytes: 1_048_576 } as const;

export function createIpRunner(options: IpRunnerOptions = {}): IpRunner {
  const ipPath = options.ipPath ?? IP_RUNNER_DEFAULTS.ipPath;
  const timeoutMs = options.timeoutMs ?? IP_RUNNER_DEFAULTS.timeoutMs;
  const maxOutputBytes = options.maxOutputBytes ?? IP_RUNNER_DEFAULTS.maxOutputBytes;

  return async function runIp(args) {
    let child: Bun.Subprocess<'ignore', 'pipe', 'pipe'>;
    try {
      child = Bun.spawn([ipPath, ...args], {
        stdin: 'ignore',
        stdout: 'pipe',
        stderr: 'pipe',
        timeout: timeoutMs,
        // A predictable, English error text regardless of the node's locale.
        env: { ...process.env, LC_ALL: 'C' },
      });
    } catch (err) {
      const reason = err instanceof Error ? err.message : String(err);
      return {
        exitCode: 127,
        stdout: '',
        stderr: `cannot run ${ipPath}: ${reason} (is iproute2 installed?)`,
      };
    }
    // Drained to the end past the bound, so the child never blocks on a full pipe.
    const output = (stream: ReadableStream<Uint8Array>) =>
      readBounded(stream, maxOutputBytes, 'drain').then((r) => r.bytes.toString('utf8'));
    const [stdout, stderr, exitCode] = await Promise.all([
      output(child.stdout),
      output(child.stderr),
      child.exited,
    ]);
    if (child.signalCode !== null) {
      return {
        exitCode: exitCode || 124,
        stdout,
        stderr: `${ipPath} ${args.join(' ')}: killed after ${timeoutMs} ms`,
      };
    }
    return { exitCode, stdout, stderr };
  };
}

/** The first non-empty line of `ip`'s error output, for one-line reports. */
export function firstLine(text: string): string {
  const line = text.split('\n').find((l) => l.trim() !== '');
  return line === undefined ? 'no error output' : line.trim().replace(/^Error:\s*/, '');
}

/** `ip` wants a family switch for IPv6 commands that take no address (e.g. `route get`). */
export function familyFlag(address: string): '-4' | '-6' {
  return isIPv4(address) ? '-4' : '-6';
}

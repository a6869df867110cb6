// Starts the emulator and the agent (`server` with default bind hosts) inside a network namespace, as processes.
import type { Subprocess } from 'bun';
import { CLI, type createNetnsRegistry } from './netns.ts';

type Netns = ReturnType<typeof createNetnsRegistry>;

/** Collects a child's output lines and lets a test wait for one (bounded: a safety net, not a timing check). */
export function collectLines(stream: ReadableStream<Uint8Array>) {
  const lines: string[] = [];
  const waiters = new Set<() => void>();
  let ended = false;
  const done = (async () => {
    let buffered = '';
    const decoder = new TextDecoder();
    for await (const chunk of stream) {
      buffered += decoder.decode(chunk, { stream: true });
      const parts = buffered.split('\n');
      buffered = parts.pop() ?? '';
      // Bounded: a runaway child cannot grow the test's memory without limit.
      for (const line of parts) if (lines.length < 10_000) lines.push(line);
      for (const wake of waiters) wake();
    }
    if (buffered && lines.length < 10_000) lines.push(buffered);
    ended = true;
    for (const wake of waiters) wake();
  })();
  return {
    lines,
    done,
    async waitFor(match: (line: string) => boolean, timeoutMs = 15_000): Promise<string | undefined> {
      const deadline = Date.now() + timeoutMs;
      for (;;) {
        const found = lines.find(match);
        if (found !== undefined || ended || Date.now() > deadline) return found;
        await new Promise<void>((resolve) => {
          const wake = () => {
            waiters.delete(wake);
            clearTimeout(timer);
            resolve();
          };
          const timer = setTimeout(wake, Math.max(0, deadline - Date.now()));
          waiters.add(wake);
        });
      }
    },
  };
}

export interface StartedProcess {
  readonly child: Subprocess<'ignore', 'pipe', 'pipe'>;
  readonly stdout: ReturnType<typeof collectLines>;
  readonly stderr: ReturnType<typeof collectLines>;
  output(): string;
  stop(): Promise<void>;
}

/** The environment a node gives the agent in these tests: region and the documentation example keys. */
export const AGENT_ENV: Record<string, string> = {
  PATH: process.env.PATH ?? '/usr/bin:/bin',
  HOME: process.env.HOME ?? '/root',
  AWS_REGION: 'us-west-2',
  AWS_ACCESS_KEY_ID: 'AKIAIOSFODNN7EXAMPLE',
  AWS_SECRET_ACCESS_KEY: 'wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY',
  // Keep the SDK's default chain from wandering off to IMDS or a developer's profile.
  AWS_EC2_METADATA_DISABLED: 'true',
};

/** How to run the agent: from source by default, or a compiled executable. */
export const FROM_SOURCE: readonly string[] = [process.execPath, CLI];

export function startIn(
  ns: string,
  args: readonly string[],
  env: Record<string, string> = AGENT_ENV,
  program: readonly string[] = FROM_SOURCE,
): StartedProcess {
  // `ip netns exec` execs the command, so the child's pid is the agent's: SIGTERM reaches it directly.
  const child = Bun.spawn(['ip', 'netns', 'exec', ns, ...program, ...args], {
    stdin: 'ignore',
    stdout: 'pipe',
    stderr: 'pipe',
    env,
  });
  const stdout = collectLines(child.stdout);
  const stderr = collectLines(child.stderr);
  return {
    child,
    stdout,
    stderr,
    output: () => [...stdout.lines, ...stderr.lines].join('\n'),
    async stop() {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
      const exited = await Promise.race([child.exited, Bun.sleep(10_000).then(() => undefined)]);
      if (exited === undefined) child.kill('SIGKILL');
      await child.exited;
    },
  };
}

/** Emulator on the namespace's own 127.0.0.1 (the root namespace's loopback is not reachable from inside). */
export async function startEmulator(
  ns: string,
  program: readonly string[] = FROM_SOURCE,
): Promise<{ url: string; process: StartedProcess }> {
  const emulator = startIn(ns, ['emulator', '--port', '0', '--host', '127.0.0.1'], AGENT_ENV, program);
  const line = await emulator.stdout.waitFor((l) => l.startsWith('{') && l.includes('"url"'));
  if (line === undefined) {
    await emulator.stop();
    throw new Error(`emulator did not start in ${ns}: ${emulator.output().slice(0, 500)}`);
  }
  return { url: (JSON.parse(line) as { url: string }).url, process: emulator };
}

export interface ListenerStatus {
  host: string;
  bound: boolean;
  error?: string;
}

/** Starts `server` against the emulator and waits for its "agent started" log line (or its exit). */
export async function startAgent(ns: string, emulatorUrl: string, program: readonly string[] = FROM_SOURCE) {
  const flags = ['--cluster-name', 'e2e', '--endpoint', emulatorUrl, '--token-issuer', emulatorUrl];
  const agent = startIn(ns, ['server', ...flags], AGENT_ENV, program);
  const started = await agent.stdout.waitFor((l) => l.includes('"agent started"'));
  if (started === undefined) return { agent, listeners: undefined };
  const listeners = (JSON.parse(started) as { listeners?: ListenerStatus[] }).listeners;
  return { agent, listeners };
}

export async function setUpNode(
  netns: Netns,
  ns: string,
  options: { ipv6: boolean; program?: readonly string[] },
): Promise<string> {
  // Every node has lo up; a fresh namespace does not.
  await netns.exec(ns, ['ip', 'link', 'set', 'lo', 'up']);
  if (!options.ipv6) await netns.exec(ns, ['sysctl', '-w', 'net.ipv6.conf.all.disable_ipv6=1']);
  const init = await netns.exec(ns, [...(options.program ?? FROM_SOURCE), 'initialize']);
  if (init.exitCode !== 0) throw new Error(`initialize failed in ${ns}: ${init.stderr}`);
  return init.stdout + init.stderr;
}

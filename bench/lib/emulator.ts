// The EKS Auth emulator as a separate process, with its admin API: tokens, faults, stats.
import type { TraceEntry } from '../../src/emulator/call-trace.ts';
import { type Child, spawnChild } from './processes.ts';

export interface EmulatorProcess {
  readonly url: string;
  /** The API-server stand-in, when started with kubeApiDir (the agent's service-account mount is there). */
  readonly kubeApi?: { url: string; host: string; port: number };
  readonly child: Child;
  /** Issues `count` tokens for distinct pods (distinct pod UIDs) with `concurrency` requests in flight. */
  issueTokens(
    count: number,
    opts?: { prefix?: string; concurrency?: number; pods?: number; serviceAccount?: string },
  ): Promise<string[]>;
  setFaults(faults: Record<string, unknown>): Promise<void>;
  resetFaults(): Promise<void>;
  /** Replaces the associations (the default maps every service account to a role). */
  setAssociations(
    associations: { namespace: string; serviceAccount: string; roleArn: string }[],
  ): Promise<void>;
  resetAssociations(): Promise<void>;
  stats(): Promise<{ assumeRoleCalls: number; succeeded: number; failed: number; throttled: number }>;
  /** Starts the emulator's call trace afresh (src/emulator/call-trace.ts); traceCalls() reads it. */
  startTrace(): Promise<void>;
  traceCalls(): Promise<{ dropped: number; entries: TraceEntry[] }>;
  stop(): Promise<void>;
}

async function firstLine(stream: ReadableStream<Uint8Array>): Promise<string> {
  const decoder = new TextDecoder();
  let text = '';
  const reader = stream.getReader();
  while (!text.includes('\n')) {
    const { value, done } = await reader.read();
    if (done) break;
    text += decoder.decode(value, { stream: true });
  }
  reader.releaseLock();
  return text.split('\n')[0] ?? '';
}

async function checked(res: Response, what: string): Promise<unknown> {
  const text = await res.text();
  if (!res.ok) throw new Error(`emulator ${what}: HTTP ${res.status} ${text.slice(0, 200)}`);
  return text === '' ? undefined : JSON.parse(text);
}

export async function startEmulatorProcess(
  options: { kubeApiDir?: string /** An emulator --config file (JSON). */; configFile?: string } = {},
): Promise<EmulatorProcess> {
  const kubeArgs = options.kubeApiDir ? ['--kube-api-dir', options.kubeApiDir] : [];
  const configArgs = options.configFile ? ['--config', options.configFile] : [];
  const child = spawnChild(
    ['bun', 'src/cli.ts', 'emulator', '--port', '0', '--host', '127.0.0.1', ...kubeArgs, ...configArgs],
    {
      pipeStdout: true,
    },
  );
  const line = await Promise.race([
    firstLine(child.proc.stdout as ReadableStream<Uint8Array>),
    Bun.sleep(10_000).then(() => ''),
  ]);
  if (!line.startsWith('{')) {
    await child.stop();
    throw new Error(`emulator did not start: ${line}\n${child.tail()}`);
  }
  const { url, kubeApi } = JSON.parse(line) as { url: string; kubeApi?: EmulatorProcess['kubeApi'] };
  const admin = `${url}/_emulator`;
  const json = { 'content-type': 'application/json' };
  let serial = 0;

  return {
    url,
    kubeApi,
    child,
    async issueTokens(count, opts = {}) {
      const prefix = opts.prefix ?? `pod-${++serial}`;
      const tokens = new Array<string>(count);
      let next = 0;
      const worker = async () => {
        for (let i = next++; i < count; i = next++) {
          const pod = opts.pods === undefined ? i : i % opts.pods;
          const body = {
            namespace: 'bench',
            serviceAccount: opts.serviceAccount ?? 'app',
            podName: `${prefix}-${pod}`,
            podUid: `${prefix}-uid-${pod}`,
            ttlSeconds: 3600,
          };
          const res = await fetch(`${admin}/tokens`, {
            method: 'POST',
            headers: json,
            body: JSON.stringify(body),
          });
          tokens[i] = ((await checked(res, 'tokens')) as { token: string }).token;
        }
      };
      await Promise.all(Array.from({ length: Math.min(count, opts.concurrency ?? 16) }, worker));
      return tokens;
    },
    async setFaults(faults) {
      await checked(
        await fetch(`${admin}/faults`, { method: 'PUT', headers: json, body: JSON.stringify(faults) }),
        'faults',
      );
    },
    async startTrace() {
      await checked(await fetch(`${admin}/trace`, { method: 'POST', headers: json, body: '{}' }), 'trace');
    },
    async traceCalls() {
      return (await checked(await fetch(`${admin}/trace`), 'trace')) as {
        dropped: number;
        entries: TraceEntry[];
      };
    },
    async resetFaults() {
      await checked(await fetch(`${admin}/faults`, { method: 'DELETE' }), 'faults reset');
    },
    async setAssociations(associations) {
      await checked(
        await fetch(`${admin}/associations`, {
          method: 'PUT',
          headers: json,
          body: JSON.stringify(associations),
        }),
        'associations',
      );
    },
    async resetAssociations() {
      await checked(await fetch(`${admin}/associations`, { method: 'DELETE' }), 'associations reset');
    },
    async stats() {
      return (await checked(await fetch(`${admin}/stats`), 'stats')) as Awaited<
        ReturnType<EmulatorProcess['stats']>
      >;
    },
    stop: () => child.stop(),
  };
}

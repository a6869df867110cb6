// The agent as a separate process (`bun src/cli.ts server`, or the bench-only metrics variant), on loopback.
import { freePorts } from './ports.ts';
import { type Child, spawnChild, waitForOk } from './processes.ts';

/** The AWS documentation example key pair, which the emulator accepts by default. */
export const AGENT_ENV = {
  AWS_REGION: 'us-west-2',
  AWS_ACCESS_KEY_ID: 'AKIAIOSFODNN7EXAMPLE',
  AWS_SECRET_ACCESS_KEY: 'wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY',
  AWS_SESSION_TOKEN: undefined,
  AWS_PROFILE: undefined,
  // Benches pick their key source explicitly: run inside a pod, the agent would otherwise read the real API server.
  KUBERNETES_SERVICE_HOST: undefined,
  KUBERNETES_SERVICE_PORT: undefined,
};

export interface AgentProcess {
  readonly child: Child;
  /** http://127.0.0.1:PORT/v1/credentials */
  readonly credentialsUrl: string;
  readonly port: number;
  readonly metricsUrl: string;
  readonly readyUrl: string;
  stop(): Promise<void>;
}

export interface AgentProcessOptions {
  emulatorUrl: string;
  /** Extra server flags, e.g. ['--token-issuer', url, '--workers', '0']. */
  args?: string[];
  /** Entry script: the real CLI by default; the bench variant adds `--bench-metrics on|off`. */
  entry?: 'cli' | 'variant';
  /** Flags for bun itself, e.g. ['--smol'] (a smaller heap, collected more eagerly). */
  bunFlags?: string[];
  /** Keep the default per-client rate limit (benches of raw throughput turn it off). */
  defaultLimits?: boolean;
  /** Do not wait for /readyz (the start-up bench measures it itself). */
  noWait?: boolean;
  /** Run this program instead of bun and an entry script, e.g. [compiled executable, 'server']. */
  command?: string[];
  /** Extra environment, e.g. KUBERNETES_SERVICE_HOST/PORT for the in-cluster key source. */
  env?: Record<string, string>;
}

export async function startAgentProcess(options: AgentProcessOptions): Promise<AgentProcess> {
  const [port, probePort, metricsPort] = (await freePorts(3)) as [number, number, number];
  const entry = options.entry === 'variant' ? ['bench/servers/agent-variant.ts'] : ['src/cli.ts', 'server'];
  const cmd = [
    ...(options.command ?? ['bun', ...(options.bunFlags ?? []), ...entry]),
    '-c',
    'bench',
    '-p',
    String(port),
    '-b',
    '127.0.0.1',
    '--probe-address',
    '127.0.0.1',
    '--probe-port',
    String(probePort),
    '--metrics-address',
    '127.0.0.1',
    '--metrics-port',
    String(metricsPort),
    '--endpoint',
    options.emulatorUrl,
    ...(options.defaultLimits ? [] : ['--rate-limit-per-client', '0']),
    '-v',
    'warn',
    ...(options.args ?? []),
  ];
  const child = spawnChild(cmd, { env: { ...AGENT_ENV, ...options.env } });
  const readyUrl = `http://127.0.0.1:${probePort}/readyz`;
  if (!options.noWait) {
    try {
      await waitForOk(readyUrl, 15_000, child);
    } catch (err) {
      await child.stop();
      throw err;
    }
  }
  return {
    child,
    credentialsUrl: `http://127.0.0.1:${port}/v1/credentials`,
    port,
    metricsUrl: `http://127.0.0.1:${metricsPort}/metrics`,
    readyUrl,
    stop: () => child.stop(),
  };
}

/** Polls /readyz until its detail says requests are verified (signing keys load in the background). */
export async function waitForVerified(readyUrl: string, timeoutMs: number): Promise<void> {
  const deadline = performance.now() + timeoutMs;
  while (performance.now() < deadline) {
    try {
      const body = (await (await fetch(readyUrl, { signal: AbortSignal.timeout(500) })).json()) as {
        verification?: { mode?: string };
      };
      if (body.verification?.mode === 'signature') return;
    } catch {
      // Not answering yet.
    }
    await Bun.sleep(2);
  }
  throw new Error(`${readyUrl} never reported verified mode within ${timeoutMs} ms`);
}

/** Fetches credentials with a token; throws with the status and the error code when it is not 200. */
export async function getCredentials(url: string, token: string): Promise<string> {
  const res = await fetch(url, { headers: { authorization: token } });
  const body = await res.text();
  if (res.status !== 200) throw new Error(`credentials request: HTTP ${res.status} ${body.slice(0, 200)}`);
  return body;
}

/** Sum and count of one Prometheus histogram series, read from the agent's /metrics. */
export async function histogramSeconds(
  metricsUrl: string,
  name: string,
  labelMatch: string,
): Promise<{ sum: number; count: number }> {
  const text = await (await fetch(metricsUrl)).text();
  let sum = 0;
  let count = 0;
  for (const line of text.split('\n')) {
    if (!line.includes(labelMatch)) continue;
    if (line.startsWith(`${name}_sum`)) sum += Number(line.split(' ').at(-1));
    if (line.startsWith(`${name}_count`)) count += Number(line.split(' ').at(-1));
  }
  return { sum, count };
}

/** The agent's pod_identity_cache_entries gauge. */
export async function cacheEntries(metricsUrl: string): Promise<number> {
  const text = await (await fetch(metricsUrl)).text();
  const line = text.split('\n').find((l) => l.startsWith('pod_identity_cache_entries '));
  return line ? Number(line.split(' ')[1]) : Number.NaN;
}

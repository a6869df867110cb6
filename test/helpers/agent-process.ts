// The agent as its own process (`bun --max-http-header-size=8192 src/cli.ts server`), as the executable runs
// it, for tests that measure the process (RSS, descriptors) or need its own fd limit.
import { readFileSync } from 'node:fs';
import { type Child, rssMb, spawnChild, waitForOk } from '../../bench/lib/processes.ts';
import { DEFAULT_ACCESS_KEY_ID, DEFAULT_SECRET_ACCESS_KEY } from '../../src/emulator/index.ts';
import { countOpenFds, MAX_REQUEST_HEADER_BYTES } from '../../src/http/connection-guard.ts';
import { freePort } from './free-port.ts';

export interface AgentProcess {
  readonly child: Child;
  readonly port: number;
  readonly probeUrl: string;
  readonly metricsUrl: string;
  rssMb(): number;
  /** Open descriptors of the agent process. */
  openFds(): number;
  /** CPU ticks (user + system) used so far. */
  cpuTicks(): number;
  stop(): Promise<void>;
}

export interface AgentProcessOptions {
  endpoint: string;
  tokenIssuer: string;
  args?: string[];
  /** Soft and hard descriptor limit for the agent (a shell's `ulimit -n`). */
  fdLimit?: number;
}

export async function startAgentProcess(options: AgentProcessOptions): Promise<AgentProcess> {
  const [port, probePort, metricsPort] = [freePort(), freePort(), freePort()];
  const agent = [
    process.execPath,
    `--max-http-header-size=${MAX_REQUEST_HEADER_BYTES}`,
    'src/cli.ts',
    'server',
    '-c',
    'test',
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
    options.endpoint,
    '--token-issuer',
    options.tokenIssuer,
    '--rate-limit-per-client',
    '0',
    '-v',
    'warn',
    ...(options.args ?? []),
  ];
  const cmd =
    options.fdLimit === undefined
      ? agent
      : ['sh', '-c', `ulimit -n ${options.fdLimit} && exec "$@"`, 'sh', ...agent];
  const child = spawnChild(cmd, {
    env: {
      AWS_REGION: 'us-west-2',
      AWS_ACCESS_KEY_ID: DEFAULT_ACCESS_KEY_ID,
      AWS_SECRET_ACCESS_KEY: DEFAULT_SECRET_ACCESS_KEY,
    },
  });
  const probeUrl = `http://127.0.0.1:${probePort}`;
  try {
    await waitForOk(`${probeUrl}/readyz`, 15_000, child);
  } catch (err) {
    await child.stop();
    throw err;
  }
  const pid = child.pid;
  return {
    child,
    port,
    probeUrl,
    metricsUrl: `http://127.0.0.1:${metricsPort}/metrics`,
    rssMb: () => rssMb(pid),
    openFds: () => countOpenFds(`/proc/${pid}/fd`),
    cpuTicks() {
      const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
      return Number(fields[11]) + Number(fields[12]);
    },
    stop: () => child.stop(),
  };
}

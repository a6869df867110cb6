// The agent as its own process (`bun --max-http-header-size=8192 src/cli.ts server`, the header limit the
// executable has compiled in), for tests that measure the process (RSS, descriptors) or need its own fd
// limit. Built on bench/lib/agent.ts, which benches use the same way.
import { startAgentProcess as startBenchAgent } from '../../bench/lib/agent.ts';
import type { Child } from '../../bench/lib/processes.ts';
import { rssMb } from '../../bench/lib/processes.ts';
import { countOpenFds, MAX_REQUEST_HEADER_BYTES } from '../../src/http/connection-guard.ts';

export interface AgentProcess {
  readonly child: Child;
  readonly port: number;
  readonly probeUrl: string;
  readonly metricsUrl: string;
  rssMb(): number;
  /** Open descriptors of the agent process. */
  openFds(): number;
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
  const agent = [
    process.execPath,
    `--max-http-header-size=${MAX_REQUEST_HEADER_BYTES}`,
    'src/cli.ts',
    'server',
  ];
  const command =
    options.fdLimit === undefined
      ? agent
      : ['sh', '-c', `ulimit -n ${options.fdLimit} && exec "$@"`, 'sh', ...agent];
  const started = await startBenchAgent({
    emulatorUrl: options.endpoint,
    command,
    args: ['--token-issuer', options.tokenIssuer, ...(options.args ?? [])],
  });
  const pid = started.child.pid;
  return {
    child: started.child,
    port: started.port,
    probeUrl: started.readyUrl.replace(/\/readyz$/, ''),
    metricsUrl: started.metricsUrl,
    rssMb: () => rssMb(pid),
    openFds: () => countOpenFds(`/proc/${pid}/fd`),
    stop: () => started.stop(),
  };
}

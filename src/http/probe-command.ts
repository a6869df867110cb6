// `eks-pod-identity-agent probe`: asks this pod's own agent (its --probe-socket) for /readyz or /healthz, for an
// exec startup probe. The probe port cannot tell two agents apart while a rollout runs both on one node.
import { type FlagSpec, parseFlags } from '../cli/flag-parser.ts';
import { ConfigError } from '../config/config-error.ts';

export const PROBE_DEFAULTS = { socket: '/tmp/eks-pod-identity-agent.sock', path: '/readyz' } as const;
const PROBE_PATHS = new Set(['/readyz', '/healthz']);
const PROBE_TIMEOUT_MS = 5_000;
const MAX_SHOWN_CHARS = 300;

const PROBE_FLAGS = [
  { name: 'socket', kind: 'value', valueName: 'PATH', default: PROBE_DEFAULTS.socket, help: '' },
  { name: 'path', kind: 'value', valueName: 'PATH', default: PROBE_DEFAULTS.path, help: '' },
  { name: 'help', short: 'h', kind: 'boolean', help: '' },
] as const satisfies readonly FlagSpec[];

export const PROBE_HELP = `Usage: eks-pod-identity-agent probe [--socket PATH] [--path /readyz|/healthz]

Asks the agent of this pod, on its --probe-socket (default ${PROBE_DEFAULTS.socket}), for a probe (default
${PROBE_DEFAULTS.path}). Exit status 0 when it answers 200, 1 otherwise (the answer is printed), 2 for bad flags.
`;

export interface ProbeIo {
  readonly stdout: (text: string) => void;
  readonly stderr: (text: string) => void;
}

export async function runProbeCommand(argv: readonly string[], io: ProbeIo): Promise<number> {
  const flags = parseFlags(argv, PROBE_FLAGS);
  if (flags.get('help')?.at(-1) === 'true') {
    io.stdout(PROBE_HELP);
    return 0;
  }
  const socket = flags.get('socket')?.at(-1) ?? PROBE_DEFAULTS.socket;
  const path = flags.get('path')?.at(-1) ?? PROBE_DEFAULTS.path;
  if (!PROBE_PATHS.has(path)) throw new ConfigError('--path must be /readyz or /healthz');
  try {
    const res = await fetch(`http://localhost${path}`, {
      unix: socket,
      signal: AbortSignal.timeout(PROBE_TIMEOUT_MS),
    } as RequestInit);
    const body = (await res.text()).replace(/\s+/g, ' ').slice(0, MAX_SHOWN_CHARS);
    (res.status === 200 ? io.stdout : io.stderr)(`${res.status} ${body}\n`);
    return res.status === 200 ? 0 : 1;
  } catch (err) {
    io.stderr(`probe: no answer on ${socket}: ${(err as Error).message.slice(0, MAX_SHOWN_CHARS)}\n`);
    return 1;
  }
}

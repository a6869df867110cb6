// `eks-pod-identity-agent probe`: asks this pod's own agent (its --probe-socket) for /readyz or /healthz, for an
// exec startup probe. The probe port cannot tell two agents apart while a rollout runs both on one node.
import { type FlagSpec, HELP_FLAG, readFlags } from '../cli/flag-parser.ts';
import { formatHelp } from '../cli/help.ts';
import { UsageError } from '../cli/usage-error.ts';

export const PROBE_DEFAULTS = { socket: '/tmp/eks-pod-identity-agent.sock', path: '/readyz' } as const;
const PROBE_PATHS = new Set(['/readyz', '/healthz']);
const PROBE_TIMEOUT_MS = 5_000;
const MAX_SHOWN_CHARS = 300;

const PROBE_FLAGS = [
  {
    name: 'socket',
    kind: 'value',
    valueName: 'PATH',
    default: PROBE_DEFAULTS.socket,
    help: "The agent's --probe-socket.",
  },
  {
    name: 'path',
    kind: 'value',
    valueName: 'PATH',
    default: PROBE_DEFAULTS.path,
    help: 'The probe to ask for: /readyz or /healthz.',
  },
  HELP_FLAG,
] as const satisfies readonly FlagSpec[];

export const PROBE_HELP = formatHelp({
  usage: 'probe [--socket PATH] [--path /readyz|/healthz]',
  about: ['Asks the agent of this pod, on its --probe-socket, for a probe (an exec startup probe).'],
  flags: PROBE_FLAGS,
  notes: ['Exit status: 0 when it answers 200, 1 otherwise (the answer is printed), 2 for bad flags.'],
});

export interface ProbeIo {
  readonly stdout: (text: string) => void;
  readonly stderr: (text: string) => void;
}

export async function runProbeCommand(argv: readonly string[], io: ProbeIo): Promise<number> {
  const flags = readFlags(argv, PROBE_FLAGS);
  if (flags.isOn('help')) {
    io.stdout(PROBE_HELP);
    return 0;
  }
  const socket = flags.value('socket');
  const path = flags.value('path');
  if (!PROBE_PATHS.has(path)) throw new UsageError('--path must be /readyz or /healthz');
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

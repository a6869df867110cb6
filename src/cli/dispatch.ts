// Subcommand dispatch for `eks-pod-identity-agent`: help, version, and lazy loading of each subcommand so
// one subcommand's load cost (workers, AWS SDK, emulator) never lands on another.

import { toLogLevel } from '../config/flag-values.ts';
import { type Config, parseServerConfig, SERVER_FLAGS, UsageError } from '../config/server-config.ts';
import { VERSION } from '../version.ts';
import { parseFlags, VERBOSITY_FLAG, wantsHelp } from './flag-parser.ts';
import { formatFlagsHelp, formatHelp, PROGRAM } from './help.ts';
import { showValue } from './usage-error.ts';

export { PROGRAM };

export interface CliIo {
  readonly stdout: (text: string) => void;
  readonly stderr: (text: string) => void;
  readonly env: Record<string, string | undefined>;
}

/** How each subcommand's module is loaded: dynamic imports, so only the chosen one is ever loaded. */
export interface SubcommandLoaders {
  readonly server: () => Promise<(config: Config) => Promise<number>>;
  readonly local: () => Promise<(argv: readonly string[]) => Promise<number>>;
  readonly emulator: () => Promise<(argv: readonly string[]) => Promise<number>>;
  readonly initialize: () => Promise<(argv: readonly string[]) => Promise<number>>;
}

export const DEFAULT_LOADERS: SubcommandLoaders = {
  server: async () => (await import('../agent/agent.ts')).runServer,
  local: async () => (await import('../local/local.ts')).runLocal,
  emulator: async () => (await import('../emulator/command.ts')).runEmulatorCommand,
  initialize: async () => (await import('../initialize/initialize.ts')).runInitialize,
};

type Runner = (argv: readonly string[], io: CliIo, load: SubcommandLoaders) => Promise<number>;

interface Subcommand {
  readonly summary: string;
  readonly run: Runner;
}

/** Subcommands other than `server` own their flags and their `--help`, so they get argv as given. */
const SUBCOMMANDS: Readonly<Record<string, Subcommand>> = {
  server: {
    summary: 'Serve pod credentials from EKS Auth (the DaemonSet command).',
    run: async (argv, io, load) => {
      if (wantsHelp(argv)) return printServerHelp(io);
      // Parse before loading the agent, so a typo fails fast and cheaply.
      const config = parseServerConfig(argv, io.env);
      return (await load.server())(config);
    },
  },
  local: {
    summary: 'Run an emulator and an agent on loopback, with a demo token (no root needed).',
    run: async (argv, _io, load) => (await load.local())(argv),
  },
  emulator: {
    summary: 'Run a local EKS Auth emulator and token issuer.',
    run: async (argv, _io, load) => (await load.emulator())(argv),
  },
  initialize: {
    summary: "Give the node the agent's link-local addresses (init container, needs NET_ADMIN).",
    run: async (argv, _io, load) => (await load.initialize())(argv),
  },
  probe: {
    summary: "Ask this pod's agent for a probe on its --probe-socket (an exec startup probe).",
    run: async (argv, io) => (await import('../http/probe-command.ts')).runProbeCommand(argv, io),
  },
  version: {
    summary: 'Print the version and runtime.',
    run: async (argv, io) => {
      if (wantsHelp(argv)) {
        io.stdout(VERSION_HELP);
        return 0;
      }
      // Only the public agent's root flag -v/--verbosity, which cobra accepts on every subcommand.
      let level: string | undefined;
      try {
        level = parseFlags(argv, [VERBOSITY_FLAG]).get('verbosity')?.at(-1);
      } catch (err) {
        throw new UsageError(`version takes no arguments but -v LEVEL: ${(err as Error).message}`);
      }
      if (level !== undefined) toLogLevel('--verbosity', level);
      io.stdout(`${PROGRAM} ${VERSION} (bun ${Bun.version}, ${process.platform}/${process.arch})\n`);
      return 0;
    },
  },
};

const VERSION_HELP = formatHelp({
  usage: 'version',
  about: ['Prints the agent version and the runtime it runs on.'],
  flags: [VERBOSITY_FLAG],
});

function printServerHelp(io: CliIo): number {
  io.stdout(
    formatHelp({
      usage: 'server --cluster-name NAME [flags]',
      about: [
        'Serves pod credentials at http://169.254.170.23/v1/credentials by exchanging service-account tokens ' +
          'with EKS Auth AssumeRoleForPodIdentity. Region: AWS_REGION or AWS_DEFAULT_REGION (required). ' +
          'Node credentials: the AWS SDK default chain. Durations use Go syntax (500ms, 90s, 1h30m).',
      ],
      flags: SERVER_FLAGS,
    }),
  );
  return 0;
}

function printGlobalHelp(io: CliIo): number {
  const width = Math.max(...Object.keys(SUBCOMMANDS).map((n) => n.length)) + 2;
  const list = Object.entries(SUBCOMMANDS)
    .map(([name, c]) => `  ${name.padEnd(width)}${c.summary}`)
    .join('\n');
  io.stdout(
    `Usage: ${PROGRAM} <subcommand> [flags]\n\nSubcommands:\n${list}\n  ${'help'.padEnd(width)}` +
      `Show help for a subcommand: ${PROGRAM} help server\n\n` +
      `Run '${PROGRAM} <subcommand> --help' for its flags.\n\n` +
      `Server flags (also accepted without the word server):\n${formatFlagsHelp(SERVER_FLAGS)}\n`,
  );
  return 0;
}

/** Own properties only: `toString` or `__proto__` are not subcommands. */
function findSubcommand(name: string): Subcommand | undefined {
  return Object.hasOwn(SUBCOMMANDS, name) ? SUBCOMMANDS[name] : undefined;
}

/** Error text for the one stderr line: first line only, bounded. */
function oneLine(err: unknown): string {
  const text = err instanceof Error ? err.message : String(err);
  const first = text.split(/\r?\n/, 1)[0] ?? '';
  return first.length > 300 ? `${first.slice(0, 300)}...` : first;
}

/** Runs the CLI; resolves with the process exit code (2 for usage and config errors). */
export async function runCli(
  argv: readonly string[],
  io: CliIo,
  load: SubcommandLoaders = DEFAULT_LOADERS,
): Promise<number> {
  const [first, ...rest] = argv;
  try {
    if (first === undefined) {
      io.stderr(`${PROGRAM}: missing subcommand; run '${PROGRAM} --help'\n`);
      return 2;
    }
    if (first === 'help' || first === '--help' || first === '-h') {
      const topic = rest[0];
      if (topic === undefined) return printGlobalHelp(io);
      const sub = findSubcommand(topic);
      if (!sub) throw new UsageError(`unknown subcommand ${showValue(topic)}; run '${PROGRAM} --help'`);
      return await sub.run(['--help'], io, load);
    }
    // The add-on runs `server ...` explicitly; flags first (`-c my-cluster`) also mean server.
    const [name, args] = first.startsWith('-') ? ['server', argv] : [first, rest];
    const sub = findSubcommand(name);
    if (!sub) {
      throw new UsageError(`unknown subcommand ${showValue(name)}; run '${PROGRAM} --help'`);
    }
    return await sub.run(args, io, load);
  } catch (err) {
    io.stderr(`${PROGRAM}: ${oneLine(err)}\n`);
    return err instanceof UsageError ? 2 : 1;
  }
}

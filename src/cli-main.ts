// Subcommand dispatch for `eks-pod-identity-agent`: help, version, and lazy loading of each subcommand so
// one subcommand's load cost (workers, AWS SDK, emulator) never lands on another.
import { formatFlagsHelp, wantsHelp } from './argv.ts';
import { ConfigError, parseServerConfig, SERVER_FLAGS } from './config.ts';
import { VERSION } from './version.ts';

export const PROGRAM = 'eks-pod-identity-agent';

export interface CliIo {
  readonly stdout: (text: string) => void;
  readonly stderr: (text: string) => void;
  readonly env: Record<string, string | undefined>;
}

type Runner = (argv: readonly string[], io: CliIo) => Promise<number>;

interface Subcommand {
  readonly summary: string;
  readonly run: Runner;
}

/** Subcommands other than `server` own their flags and their `--help`, so they get argv as given. */
const SUBCOMMANDS: Readonly<Record<string, Subcommand>> = {
  server: {
    summary: 'Serve pod credentials from EKS Auth (the DaemonSet command).',
    run: async (argv, io) => {
      if (wantsHelp(argv)) return printServerHelp(io);
      const config = parseServerConfig(argv, io.env);
      const { runServer } = await import('./agent.ts');
      return runServer(config);
    },
  },
  local: {
    summary: 'Run an emulator and an agent on loopback, with a demo token (no root needed).',
    run: async (argv) => (await import('./local.ts')).runLocal(argv),
  },
  emulator: {
    summary: 'Run a local EKS Auth emulator and token issuer.',
    run: async (argv) => (await import('./emulator/command.ts')).runEmulatorCommand(argv),
  },
  initialize: {
    summary: "Give the node the agent's link-local addresses (init container, needs NET_ADMIN).",
    run: async (argv) => (await import('./node/initialize.ts')).runInitialize(argv),
  },
  version: {
    summary: 'Print the version and runtime.',
    run: async (argv, io) => {
      if (wantsHelp(argv)) {
        io.stdout(`Usage: ${PROGRAM} version\n\nPrints the agent version and the runtime it runs on.\n`);
        return 0;
      }
      if (argv.length > 0)
        throw new ConfigError(`version takes no arguments, got ${JSON.stringify(argv[0])}`);
      io.stdout(`${PROGRAM} ${VERSION} (bun ${Bun.version}, ${process.platform}/${process.arch})\n`);
      return 0;
    },
  },
};

function printServerHelp(io: CliIo): number {
  io.stdout(
    `Usage: ${PROGRAM} server --cluster-name NAME [flags]\n\n` +
      'Serves pod credentials at http://169.254.170.23/v1/credentials by exchanging service-account tokens\n' +
      'with EKS Auth AssumeRoleForPodIdentity. Region: AWS_REGION or AWS_DEFAULT_REGION (required).\n' +
      'Node credentials: the AWS SDK default chain. Durations use Go syntax (500ms, 90s, 1h30m).\n\n' +
      `Flags:\n${formatFlagsHelp(SERVER_FLAGS)}\n`,
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

/** Error text for the one stderr line: first line only, bounded. */
function oneLine(err: unknown): string {
  const text = err instanceof Error ? err.message : String(err);
  const first = text.split(/\r?\n/, 1)[0] ?? '';
  return first.length > 300 ? `${first.slice(0, 300)}...` : first;
}

/** Runs the CLI; resolves with the process exit code (2 for usage and config errors). */
export async function runCli(argv: readonly string[], io: CliIo): Promise<number> {
  const [first, ...rest] = argv;
  try {
    if (first === undefined) {
      io.stderr(`${PROGRAM}: missing subcommand; run '${PROGRAM} --help'\n`);
      return 2;
    }
    if (first === 'help' || first === '--help' || first === '-h') {
      const topic = rest[0];
      if (topic === undefined) return printGlobalHelp(io);
      const sub = SUBCOMMANDS[topic];
      if (!sub) throw new ConfigError(`unknown subcommand ${JSON.stringify(topic)}; run '${PROGRAM} --help'`);
      return await sub.run(['--help'], io);
    }
    // The add-on runs `server ...` explicitly; flags first (`-c my-cluster`) also mean server.
    const [name, args] = first.startsWith('-') ? ['server', argv] : [first, rest];
    const sub = SUBCOMMANDS[name];
    if (!sub) {
      throw new ConfigError(
        `unknown subcommand ${JSON.stringify(name.slice(0, 60))}; run '${PROGRAM} --help'`,
      );
    }
    return await sub.run(args, io);
  } catch (err) {
    io.stderr(`${PROGRAM}: ${oneLine(err)}\n`);
    return err instanceof ConfigError ? 2 : 1;
  }
}

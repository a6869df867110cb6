// `emulator` subcommand: parses its flags and runs the local EKS Auth emulator until SIGINT/SIGTERM.
import { stopSignal } from '../cli/shutdown.ts';
import { UsageError } from '../cli/usage-error.ts';
import { EMULATOR_USAGE, parseEmulatorArgs } from './command-args.ts';
import { type Emulator, startEmulator } from './index.ts';

export interface EmulatorCommandIo {
  /** One line to stdout; default process.stdout. */
  out?: (line: string) => void;
  /** One line to stderr; default process.stderr. */
  err?: (line: string) => void;
  /** Resolves when the command should stop; default the first SIGINT or SIGTERM. */
  stopRequested?: Promise<unknown>;
  /** Called once the emulator listens (tests use it to reach the running instance). */
  onStarted?: (emulator: Emulator) => void;
}

/** Exit codes: 0 after a clean stop, 2 for bad flags or config, 1 when the emulator cannot start. */
export async function runEmulatorCommand(
  argv: readonly string[],
  io: EmulatorCommandIo = {},
): Promise<number> {
  const out = io.out ?? ((line: string) => process.stdout.write(`${line}\n`));
  const err = io.err ?? ((line: string) => process.stderr.write(`${line}\n`));
  let settings: ReturnType<typeof parseEmulatorArgs>;
  try {
    settings = parseEmulatorArgs(argv);
  } catch (e) {
    if (!(e instanceof UsageError)) throw e;
    err(`emulator: ${e.message} (see --help)`);
    return 2;
  }
  if (settings.help) {
    out(EMULATOR_USAGE.trimEnd());
    return 0;
  }
  // Listen for signals before starting, so a signal during start-up is not lost.
  const signals = io.stopRequested ? undefined : stopSignal();
  const stopRequested = io.stopRequested ?? signals!.received;
  let emulator: Emulator;
  try {
    emulator = await startEmulator(settings.options);
  } catch (e) {
    signals?.cancel();
    err(`emulator: cannot start: ${e instanceof Error ? e.message : String(e)}`);
    return 1;
  }
  if (settings.associations) emulator.setAssociations(settings.associations);
  if (settings.faults) emulator.setFaults(settings.faults);
  const kube = emulator.kubeApi;
  if (kube && settings.kubeApiDir) {
    kube.writeServiceAccountDir(settings.kubeApiDir, 'kube-system', 'eks-pod-identity-agent');
  }
  out(
    JSON.stringify({
      url: emulator.url,
      port: emulator.port,
      ...(kube ? { kubeApi: { url: kube.url, host: kube.host, port: kube.port } } : {}),
    }),
  );
  io.onStarted?.(emulator);
  await stopRequested;
  await emulator.stop();
  return 0;
}

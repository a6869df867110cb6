// `emulator` subcommand: parses its flags and runs the local EKS Auth emulator until a signal.
// (Skeleton: being written.)

export async function runEmulatorCommand(_argv: readonly string[]): Promise<number> {
  throw new Error('emulator not implemented yet');
}

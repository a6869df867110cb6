// `local` mode (behind `npm start`): emulator + agent on loopback, a demo token, printed instructions.
// (Skeleton: being written.)

export async function runLocal(_argv: readonly string[]): Promise<number> {
  throw new Error('local mode not implemented yet');
}

// `initialize` subcommand: gives the node the link-local agent addresses. (Skeleton: being written.)

export async function runInitialize(_argv: readonly string[]): Promise<number> {
  throw new Error('initialize not implemented yet');
}

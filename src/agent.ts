// Builds the agent's parts from a Config and runs them: start/stop lifecycle, SIGTERM drain.
// (Skeleton: being written.)
import type { Config } from './config.ts';

/** Runs `server` until SIGTERM/SIGINT; resolves with the process exit code. */
export async function runServer(_config: Config): Promise<number> {
  throw new Error('server not implemented yet');
}

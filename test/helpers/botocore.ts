// Runs botocore's own ContainerProvider (test/integration/botocore_container_credentials.py) in a child
// process against a credentials URL and token file; resolves with the JSON line it prints.
import { join } from 'node:path';

const SCRIPT = join(import.meta.dir, '..', 'integration', 'botocore_container_credentials.py');

export async function botocoreCredentials(
  credentialsUrl: string,
  tokenPath: string,
): Promise<Record<string, unknown>> {
  const proc = Bun.spawn(['python3', SCRIPT], {
    env: {
      PATH: process.env['PATH'] ?? '/usr/bin:/bin',
      HOME: process.env['HOME'] ?? '/tmp',
      AWS_CONTAINER_CREDENTIALS_FULL_URI: credentialsUrl,
      AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE: tokenPath,
    },
    stdout: 'pipe',
    stderr: 'pipe',
  });
  const [out, err, code] = await Promise.all([
    new Response(proc.stdout).text(),
    new Response(proc.stderr).text(),
    proc.exited,
  ]);
  if (code !== 0) throw new Error(`botocore script exited ${code}: ${err}`);
  return JSON.parse(out.trim().split('\n').at(-1)!) as Record<string, unknown>;
}

// local mode's demo pod token: written where an SDK reads it (a directory owned by this user, write-then-rename),
// with the agent's own service-account mount beside it, and renewed hourly as the kubelet renews projected tokens.
import { randomUUID } from 'node:crypto';
import { lstatSync, mkdirSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { UsageError } from '../cli/usage-error.ts';
import type { Emulator } from '../emulator/index.ts';

/** The kubelet renews projected tokens well before they expire; so does local mode. */
const TOKEN_RENEW_INTERVAL_MS = 3_600_000;

function writeTokenFile(path: string, token: string): void {
  const dir = dirname(path);
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  const uid = process.getuid?.();
  const st = lstatSync(dir);
  if (!st.isDirectory() || (uid !== undefined && st.uid !== uid)) {
    throw new UsageError(`--token-file: ${dir} is not a directory owned by this user`);
  }
  // Write-then-rename so an SDK reading the file never sees half a token; 'wx' never follows a planted link.
  const tmp = `${path}.tmp`;
  rmSync(tmp, { force: true });
  writeFileSync(tmp, token, { mode: 0o600, flag: 'wx' });
  renameSync(tmp, path);
}

/** Writes the token and the agent's mount now and every renewal; resolves with the renewal's stop. */
export async function startDemoToken(
  emulator: Emulator,
  tokenFile: string,
  serviceAccountDir: string,
): Promise<() => void> {
  const kubeApi = emulator.kubeApi!;
  // One demo pod: its UID stays across the hourly token renewals, as a pod's does across rotations.
  const demoPod = {
    namespace: 'default',
    serviceAccount: 'demo',
    podName: 'demo-pod',
    podUid: randomUUID(),
  };
  const renewToken = async () => {
    kubeApi.writeServiceAccountDir(serviceAccountDir, 'kube-system', 'eks-pod-identity-agent');
    writeTokenFile(tokenFile, await emulator.issueToken(demoPod));
  };
  await renewToken();
  const timer = setInterval(() => void renewToken().catch(() => {}), TOKEN_RENEW_INTERVAL_MS);
  timer.unref();
  return () => clearInterval(timer);
}

// The emulator with its API-server stand-in and the agent's service account mounted (agentKubeEndpoint), with
// a scratch directory and one stop() for both: what the --startup-taint tests start from.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type Emulator, startEmulator } from '../../src/emulator/index.ts';
import type { KubeApiStandIn } from '../../src/emulator/kube-api/index.ts';
import type { KubeApiEndpoint } from '../../src/kube/api-client.ts';
import { agentKubeEndpoint } from './kube-stand-in.ts';

export interface KubeApiFixture {
  emu: Emulator;
  kube: KubeApiStandIn;
  /** The in-cluster endpoint: the stand-in's address, the mounted token and CA. */
  endpoint: KubeApiEndpoint;
  /** A scratch directory removed by stop(); the service account is in `${dir}/sa`. */
  dir: string;
  stop(): Promise<void>;
}

export async function startKubeApiFixture(prefix = 'kube-api-'): Promise<KubeApiFixture> {
  const emu = await startEmulator({ kubeApi: true });
  const kube = emu.kubeApi!;
  const dir = mkdtempSync(join(tmpdir(), prefix));
  const endpoint = agentKubeEndpoint(emu, dir);
  return {
    emu,
    kube,
    endpoint,
    dir,
    async stop() {
      await emu.stop();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

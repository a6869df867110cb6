// The emulator with its API-server stand-in, and the agent's service account laid out as the kubelet mounts
// it: what every test of the in-cluster Kubernetes client starts from.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type Emulator, startEmulator } from '../../src/emulator/index.ts';
import type { KubeApiStandIn } from '../../src/emulator/kube-api/index.ts';
import { inClusterEndpoint, type KubeApiEndpoint } from '../../src/kube/api-client.ts';

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
  kube.writeServiceAccountDir(join(dir, 'sa'), 'kube-system', 'eks-pod-identity-agent');
  const endpoint = inClusterEndpoint(
    { KUBERNETES_SERVICE_HOST: kube.host, KUBERNETES_SERVICE_PORT: String(kube.port) },
    join(dir, 'sa'),
  )!;
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

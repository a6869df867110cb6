// The agent's view of the emulator's API-server stand-in: its service-account mount written to a directory
// and the endpoint the agent would read from KUBERNETES_SERVICE_HOST/PORT in a pod.
import { join } from 'node:path';
import type { Emulator } from '../../src/emulator/index.ts';
import { inClusterEndpoint, type KubeApiEndpoint } from '../../src/kube/api-client.ts';

/** Writes `<dir>/sa` (token, ca.crt, namespace) for kube-system/eks-pod-identity-agent; returns the endpoint. */
export function agentKubeEndpoint(emulator: Emulator, dir: string): KubeApiEndpoint {
  const kube = emulator.kubeApi;
  if (!kube) throw new Error('start the emulator with kubeApi: true');
  kube.writeServiceAccountDir(join(dir, 'sa'), 'kube-system', 'eks-pod-identity-agent');
  return inClusterEndpoint(
    { KUBERNETES_SERVICE_HOST: kube.host, KUBERNETES_SERVICE_PORT: String(kube.port) },
    join(dir, 'sa'),
  )!;
}

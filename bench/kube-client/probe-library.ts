// @ts-nocheck: @kubernetes/client-node is not a dependency of this project; the bench copies this file into
// the directory where it is installed (--library-dir) and runs it there.
// Child of kube-client.bench.ts, the alternative: the same GET through @kubernetes/client-node's in-cluster
// config. Under Bun its fetch ignores the per-client CA (UNABLE_TO_VERIFY_LEAF_SIGNATURE: the agent option
// it passes is not honoured), so the bench trusts the cluster CA process-wide with NODE_EXTRA_CA_CERTS.
export {};

const t0 = performance.now();
const k8s = await import('@kubernetes/client-node');
const t1 = performance.now();
const kc = new k8s.KubeConfig();
kc.loadFromCluster(process.env.SA_PREFIX);
const api = kc.makeApiClient(k8s.CoreV1Api);
const node = await api.readNode({ name: process.env.KUBE_NODE });
const t2 = performance.now();
if (!node.spec?.taints?.length) throw new Error('expected the bench node to have taints');
Bun.gc(true);
const rss = Number(/VmRSS:\s+(\d+)/.exec(await Bun.file('/proc/self/status').text())[1]) / 1024;
console.log(JSON.stringify({ loadMs: t1 - t0, callMs: t2 - t1, rssMb: rss }));

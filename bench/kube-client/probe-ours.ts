// Child of kube-client.bench.ts: reads one node through our client's in-cluster endpoint; prints load time,
// call time and RSS after a full collection.
export {};

const t0 = performance.now();
const { createKubeApiClient, inClusterEndpoint } = await import('../../src/kube/api-client.ts');
const { getNodeTaints } = await import('../../src/kube/node-taints.ts');
const t1 = performance.now();
const saDir = `${process.env['SA_PREFIX']}/var/run/secrets/kubernetes.io/serviceaccount`;
const client = createKubeApiClient({ endpoint: inClusterEndpoint(process.env, saDir)! });
const node = await getNodeTaints(client, process.env['KUBE_NODE']!);
const t2 = performance.now();
if (node.taints.length === 0) throw new Error('expected the bench node to have taints');
Bun.gc(true);
const rss = Number(/VmRSS:\s+(\d+)/.exec(await Bun.file('/proc/self/status').text())![1]) / 1024;
console.log(JSON.stringify({ loadMs: t1 - t0, callMs: t2 - t1, rssMb: rss }));

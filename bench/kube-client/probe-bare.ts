// Child of kube-client.bench.ts, the baseline: the same GET as one bare fetch (no client code at all).
import { readFileSync } from 'node:fs';

const saDir = `${process.env['SA_PREFIX']}/var/run/secrets/kubernetes.io/serviceaccount`;
const t0 = performance.now();
const t1 = performance.now();
const url = `https://${process.env['KUBERNETES_SERVICE_HOST']}:${process.env['KUBERNETES_SERVICE_PORT']}`;
const res = await fetch(`${url}/api/v1/nodes/${process.env['KUBE_NODE']}`, {
  headers: { authorization: `Bearer ${readFileSync(`${saDir}/token`, 'utf8').trim()}` },
  tls: { ca: readFileSync(`${saDir}/ca.crt`, 'utf8') },
});
const node = (await res.json()) as { spec?: { taints?: unknown[] } };
const t2 = performance.now();
if (!node.spec?.taints?.length) throw new Error('expected the bench node to have taints');
Bun.gc(true);
const rss = Number(/VmRSS:\s+(\d+)/.exec(await Bun.file('/proc/self/status').text())![1]) / 1024;
console.log(JSON.stringify({ loadMs: t1 - t0, callMs: t2 - t1, rssMb: rss }));

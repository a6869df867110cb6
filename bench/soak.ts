// Long fuzz soak for manual runs: hostile tokens, raw garbage and good requests against a live agent for
// minutes, with the emulator's faults switching underneath; prints RSS and status counts every 10 s and
// exits non-zero on a crash, an unhandled rejection, a 5xx for garbage, or a good request that fails.
// Run: npx bun bench/soak.ts [minutes=3]
import fc from 'fast-check';
import { secretFragments } from '../test/fuzz/guards.ts';
import { credentialsRequest, rawRequest } from '../test/fuzz/raw-http.ts';
import { headerSafeToken, rawOnlyToken } from '../test/fuzz/token-arbitraries.ts';
import { startStack } from '../test/helpers/stack.ts';

const minutes = Number(process.argv[2] ?? 3);
const problems: string[] = [];
process.on('unhandledRejection', (r) => problems.push(`unhandledRejection: ${String(r)}`));

const stack = await startStack({ args: ['--rate-limit-per-client=0', '--client-patience=300ms'] });
const host = new URL(stack.agent.url).host;
const port = Number(new URL(stack.agent.url).port);
const genuine = (await stack.tokenFile({ podName: 'soak' })).token;
const hostile = fc.sample(headerSafeToken(genuine), 5_000);
const raw = fc.sample(rawOnlyToken(genuine), 1_000);
const faults = [
  {},
  { outage: true },
  { latencyMs: 500 },
  { maxTps: 5 },
  { failWith: 'MalformedResponse' },
  {},
];
const counts: Record<string, number> = {};
const count = (k: string) => {
  counts[k] = (counts[k] ?? 0) + 1;
};
const startRss = process.memoryUsage().rss;
const deadline = Date.now() + minutes * 60_000;
let lastReport = Date.now();
let i = 0;

while (Date.now() < deadline && problems.length === 0) {
  i++;
  if (i % 2_000 === 0) stack.emulator.setFaults(faults[(i / 2_000) % faults.length]!);
  const token = hostile[i % hostile.length]!;
  const res = await fetch(stack.credentialsUrl, { headers: { host, authorization: token } });
  const text = await res.text();
  count(String(res.status));
  if (res.status >= 500 || secretFragments(token).some((f) => text.includes(f)))
    problems.push(`hostile token -> ${res.status} ${text.slice(0, 200)}`);
  if (i % 10 === 0) {
    const answer = await rawRequest(port, credentialsRequest(host, raw[i % raw.length]!), {
      endAfterWrite: true,
    });
    count(`raw:${answer.status}`);
    if (answer.status >= 500 && answer.status !== 505) problems.push(`raw -> ${answer.status}`);
  }
  if (i % 100 === 0) {
    const good = await fetch(stack.credentialsUrl, { headers: { host, authorization: genuine } });
    await good.arrayBuffer();
    count(`good:${good.status}`);
    // The genuine pod is cached, so it is served even while a fault is injected.
    if (good.status !== 200) problems.push(`good request -> ${good.status}`);
  }
  if (Date.now() - lastReport > 10_000) {
    lastReport = Date.now();
    Bun.gc(true);
    const rssMb = (process.memoryUsage().rss - startRss) / 1048576;
    console.log(JSON.stringify({ cases: i, rssGrowthMb: Number(rssMb.toFixed(1)), counts }));
  }
}

await stack.stop();
console.log(JSON.stringify({ cases: i, counts, problems }));
process.exit(problems.length === 0 ? 0 : 1);

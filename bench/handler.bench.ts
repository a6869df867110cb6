// Micro-benchmark of the cache-hit handler in-process (no sockets): what one hit costs in our code, next to
// the Response construction every server pays, and what routing it through the data app (Hono) adds.
// Usage: npx bun bench/handler.bench.ts
import { createCredentialsHandler } from '../src/http/credentials-handler.ts';
import { createDataApp } from '../src/http/data-app.ts';
import { createHostCheck } from '../src/http/host-check.ts';
import { createSilentLogger } from '../src/observability/logger.ts';
import { createServiceFixture } from '../test/helpers/service-fixture.ts';
import { unsignedToken } from '../test/helpers/tokens.ts';

const f = createServiceFixture();
const token = unsignedToken({ expSeconds: f.nowSeconds() + 86400 });
await f.service.resolve(token);
const handler = createCredentialsHandler({
  service: f.service,
  hostCheck: createHostCheck(['169.254.170.23'], 80),
  metrics: f.metrics,
  logger: createSilentLogger(),
  clock: f.clock,
});
const req = new Request('http://169.254.170.23/v1/credentials', {
  headers: { host: '169.254.170.23', authorization: token },
});
const body = f.cache.peek(token)!.body;
const server = { requestIP: () => null } as unknown as Parameters<typeof handler>[1];
const literal = { 'content-type': 'application/json' };
const app = createDataApp(handler);
const env = { server, exactTarget: true };

function nsPerOp(fn: () => unknown, n = 500_000): number {
  for (let i = 0; i < 50_000; i++) fn();
  const t0 = performance.now();
  for (let i = 0; i < n; i++) fn();
  return ((performance.now() - t0) * 1e6) / n;
}

const rows = [];
for (let rep = 0; rep < 5; rep++) {
  const baseline = nsPerOp(() => new Response(body, { headers: literal }));
  const hit = nsPerOp(() => handler(req, server));
  const routed = nsPerOp(() => app.fetch(req, env));
  rows.push({ baseline, hit, routed });
}
const median = (xs: number[]) => xs.sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
const b = median(rows.map((r) => r.baseline));
const h = median(rows.map((r) => r.hit));
const r = median(rows.map((x) => x.routed));
console.log(
  `new Response(body): ${b.toFixed(0)} ns; cache-hit handler: ${h.toFixed(0)} ns; ratio ${(h / b).toFixed(2)}x; ` +
    `through the data app (Hono): ${r.toFixed(0)} ns (+${(r - h).toFixed(0)} ns routing)`,
);

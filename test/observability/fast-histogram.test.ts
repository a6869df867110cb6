// Our cheap histogram must expose exactly what prom-client's Histogram exposes for the same observations.
// (One difference by design: a child bound with labels() and never observed is exposed with zero counts,
// so rate() over it starts from zero; prom-client shows it only after its first observation.)
import { expect, test } from 'bun:test';
import fc from 'fast-check';
import { Histogram, Registry } from 'prom-client';
import { FastHistogram } from '../../src/observability/fast-histogram.ts';
import { createMetrics } from '../../src/observability/metrics.ts';

const BUCKETS = [0.001, 0.01, 0.1, 1];

test('same exposition as prom-client Histogram for any observations', async () => {
  await fc.assert(
    fc.asyncProperty(
      fc.array(fc.tuple(fc.constantFrom('hit', 'miss'), fc.double({ min: 0, max: 5, noNaN: true })), {
        maxLength: 50,
      }),
      async (observations) => {
        const ours = new Registry();
        const theirs = new Registry();
        const common = {
          name: 'h_seconds',
          help: 'help',
          labelNames: ['outcome'] as const,
          buckets: BUCKETS,
        };
        const fast = new FastHistogram({ ...common, registers: [ours] });
        const reference = new Histogram({ ...common, registers: [theirs] });
        for (const [outcome, value] of observations) {
          fast.labels(outcome).observe(value);
          reference.labels(outcome).observe(value);
        }
        expect(await ours.metrics()).toBe(await theirs.metrics());
      },
    ),
    { numRuns: 100 },
  );
});

test('hot-path counters are exact at scrape time', async () => {
  const m = createMetrics();
  for (let i = 0; i < 1000; i++) m.hot.hit.inc();
  m.hot.response200.inc(7);
  m.httpResponse.labels('200').inc(3);
  const text = await m.registry.metrics();
  expect(text).toContain('pod_identity_cache_state{state="hit"} 1000');
  expect(text).toContain('pod_identity_http_response{code="200"} 10');
  m.hot.hit.inc();
  expect(await m.registry.metrics()).toContain('pod_identity_cache_state{state="hit"} 1001');
});

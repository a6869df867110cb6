// Every metric the agent registers is named in the README's Observability section, where operators look for
// them (the failure gate's two and pod_identity_accepting_connections were only in the limits table).
import { expect, test } from 'bun:test';
import { createMetrics } from '../../src/observability/metrics.ts';

test("the README's Observability section names every registered metric", async () => {
  const readme = await Bun.file(new URL('../../README.md', import.meta.url)).text();
  const start = readme.indexOf('\n## Observability\n');
  expect(start).toBeGreaterThan(0);
  const end = readme.indexOf('\n## ', start + 1);
  const section = readme.slice(start, end === -1 ? undefined : end);
  const names = [
    ...new Set(
      [...(await createMetrics().registry.metrics()).matchAll(/^# TYPE (pod_identity_\S+)/gm)].map(
        (m) => m[1]!,
      ),
    ),
  ];
  expect(names.length).toBeGreaterThan(10);
  expect(names.filter((n) => !section.includes(`\`${n}`))).toEqual([]);
});

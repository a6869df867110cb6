// `npm run sim` / `bun bench/cluster-sim/run.ts`: runs the default scenarios (or the JSON scenario files
// given) under this agent (its real modules) and the public agent's modelled policy; prints the table and
// writes it with one SVG per scenario to the output directory.
//   --scenario FILE   a scenario as JSON (repeatable; replaces the defaults)
//   --only NAME       run only the named default scenario(s) (repeatable)
//   --out DIR         where report.md and the SVGs go (default bench/cluster-sim/results)
//   --agent-arg FLAG  one more flag for this agent on every node (repeatable), e.g. --agent-arg=--max-service-qps=5
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { runScenario } from './cluster.ts';
import { publicAgentPolicy } from './public-agent-model.ts';
import { realAgentPolicy } from './real-agent.ts';
import { figures, markdownTable, svgPlot } from './report.ts';
import type { Scenario } from './scenario.ts';
import { DEFAULT_SCENARIOS } from './scenarios.ts';

const { values } = parseArgs({
  options: {
    scenario: { type: 'string', multiple: true },
    only: { type: 'string', multiple: true },
    out: { type: 'string', default: join(import.meta.dir, 'results') },
    'agent-arg': { type: 'string', multiple: true },
  },
});

const scenarios: Scenario[] = values.scenario
  ? values.scenario.map((file) => JSON.parse(readFileSync(file, 'utf8')) as Scenario)
  : DEFAULT_SCENARIOS.filter((s) => !values.only || values.only.includes(s.name));
if (scenarios.length === 0) throw new Error(`no scenario named ${values.only?.join(', ')}`);

const outDir = values.out!;
mkdirSync(outDir, { recursive: true });
const all = [];
const started = performance.now();
for (const scenario of scenarios) {
  const policies = [
    realAgentPolicy([...(scenario.agentArgs ?? []), ...(values['agent-arg'] ?? [])]),
    publicAgentPolicy(),
  ];
  const runs = [];
  for (const policy of policies) {
    const run = await runScenario(scenario, policy);
    runs.push(run);
    all.push(figures(run));
    console.error(
      `${scenario.name} / ${policy.label}: ${run.virtualEvents.toLocaleString('en-US')} events in ${(run.wallMs / 1000).toFixed(1)} s`,
    );
  }
  writeFileSync(join(outDir, `${scenario.name}.svg`), svgPlot(runs));
}
const table = markdownTable(all);
const descriptions = scenarios.map((s) => `- **${s.name}**: ${s.description}`).join('\n');
writeFileSync(
  join(outDir, 'report.md'),
  `# Cluster simulator results\n\nProduced by \`npm run sim\` (${new Date().toISOString().slice(0, 10)}); ` +
    `"public agent (model)" is the public agent's policy re-created from facts, not its code.\n\n${descriptions}\n\n${table}\n\n` +
    scenarios.map((s) => `![${s.name}](${s.name}.svg)`).join('\n') +
    '\n',
);
console.log(table);
console.error(`all scenarios: ${((performance.now() - started) / 1000).toFixed(1)} s; report in ${outDir}`);

// Bench runner: `npm run bench [-- --quick] [scenario names...]`. Runs the scenarios one after another (they
// share 2 cores, so never in parallel), prints tables of medians and ratios and PASS/MISS per target, and
// writes JSON and a markdown summary under bench/results/.
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { cold } from './cold.bench.ts';
import { flood } from './flood.bench.ts';
import { footprint } from './footprint.bench.ts';
import { hot } from './hot.bench.ts';
import { sourceRevision } from './lib/revision.ts';
import type { Scenario, ScenarioResult } from './lib/scenario.ts';
import { memory } from './memory.bench.ts';
import { startup } from './startup.bench.ts';
import { storm } from './storm.bench.ts';
import { throttled } from './throttled.bench.ts';

const SCENARIOS: Scenario[] = [hot, cold, storm, throttled, flood, memory, startup, footprint];
const RESULTS_DIR = join(import.meta.dir, 'results');

function parseArgs(argv: string[]): { quick: boolean; selected: Scenario[] } {
  const quick = argv.includes('--quick');
  const names = argv.filter((a) => !a.startsWith('--'));
  const unknown = names.filter((n) => !SCENARIOS.some((s) => s.name === n));
  if (unknown.length > 0 || argv.includes('--help')) {
    const list = SCENARIOS.map((s) => `  ${s.name.padEnd(10)} ${s.title}`).join('\n');
    const what = unknown.length > 0 ? `unknown scenario: ${unknown.join(', ')}\n` : '';
    process.stderr.write(`${what}usage: npm run bench -- [--quick] [scenario...]\nscenarios:\n${list}\n`);
    process.exit(unknown.length > 0 ? 2 : 0);
  }
  return {
    quick,
    selected: names.length === 0 ? SCENARIOS : SCENARIOS.filter((s) => names.includes(s.name)),
  };
}

/** A markdown table of one scenario's rows (columns are the union of the rows' keys, in first-seen order). */
export function markdownTable(result: ScenarioResult): string {
  if (result.rows.length === 0) return '';
  const out: string[] = [];
  // Rows with different columns (e.g. the metrics on/off row) get their own table.
  let columns: string[] = [];
  for (const row of result.rows) {
    const keys = Object.keys(row.values);
    if (keys.join('|') !== columns.join('|')) {
      columns = keys;
      if (out.length > 0) out.push('');
      out.push(`| | ${columns.join(' | ')} |`, `|---|${columns.map(() => '---:').join('|')}|`);
    }
    out.push(`| ${row.label} | ${columns.map((c) => String(row.values[c] ?? '')).join(' | ')} |`);
  }
  return out.join('\n');
}

function targetLine(t: ScenarioResult['targets'][number]): string {
  const verdict = t.pass === null ? 'SKIP' : t.pass ? 'PASS' : 'MISS';
  return `| ${t.name} | ${t.target} | ${t.measured} | ${verdict} |`;
}

function markdown(results: ScenarioResult[], command: string, startedAt: Date): string {
  const parts = [
    `Command: \`${command}\` — started ${startedAt.toISOString()}, Bun ${Bun.version}, source ${sourceRevision()}`,
    '',
  ];
  const targets = results.flatMap((r) => r.targets);
  if (targets.length > 0) {
    parts.push('| target | goal | measured | verdict |', '|---|---|---|---|', ...targets.map(targetLine), '');
  }
  for (const r of results) {
    parts.push(`### ${r.name}: ${r.title}`, '');
    if (r.skipped) parts.push(`Skipped: ${r.skipped}`, '');
    const table = markdownTable(r);
    if (table) parts.push(table, '');
    for (const note of r.notes) parts.push(`- ${note}`);
    if (r.notes.length > 0) parts.push('');
  }
  return parts.join('\n');
}

async function main(): Promise<number> {
  const argv = process.argv.slice(2);
  const { quick, selected } = parseArgs(argv);
  const startedAt = new Date();
  const command = `npm run bench${argv.length > 0 ? ` -- ${argv.join(' ')}` : ''}`;
  const t0 = performance.now();
  const elapsedSec = () => ((performance.now() - t0) / 1000).toFixed(0);
  const log = (m: string) => process.stderr.write(`[${elapsedSec()}s] ${m}\n`);
  const results: ScenarioResult[] = [];
  let failed = 0;
  for (const scenario of selected) {
    log(`== ${scenario.name}: ${scenario.title}`);
    try {
      const result = await scenario.run({ quick, log });
      results.push(result);
      if (result.skipped) log(`${scenario.name} skipped: ${result.skipped}`);
      process.stdout.write(`\n${markdown([result], command, startedAt).split('\n').slice(2).join('\n')}\n`);
    } catch (err) {
      failed++;
      const message = err instanceof Error ? err.message : String(err);
      log(`${scenario.name} FAILED: ${message}`);
      results.push({
        name: scenario.name,
        title: scenario.title,
        rows: [],
        targets: [],
        notes: [],
        skipped: `failed: ${message}`,
      });
    }
  }
  mkdirSync(RESULTS_DIR, { recursive: true });
  const stamp = startedAt.toISOString().replace(/[:.]/g, '-');
  const json = {
    command,
    quick,
    startedAt: startedAt.toISOString(),
    bun: Bun.version,
    source: sourceRevision(),
    results,
  };
  writeFileSync(join(RESULTS_DIR, `${stamp}.json`), `${JSON.stringify(json, null, 2)}\n`);
  const md = markdown(results, command, startedAt);
  writeFileSync(join(RESULTS_DIR, `${stamp}.md`), md);
  writeFileSync(join(RESULTS_DIR, 'latest.md'), md);
  const targets = results.flatMap((r) => r.targets);
  process.stdout.write(
    `\n## Targets\n\n| target | goal | measured | verdict |\n|---|---|---|---|\n${targets.map(targetLine).join('\n')}\n`,
  );
  log(`done in ${elapsedSec()} s; results in bench/results/${stamp}.{json,md}`);
  return failed > 0 ? 1 : 0;
}

process.exit(await main());

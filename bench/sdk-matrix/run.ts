// The SDK compatibility matrix: `npm run bench:sdk [-- --rows a,b] [--scenarios x,y] [--out FILE]
// [--agent-arg=--flag=value ...] [--trace DIR]` (agent flags beside the defaults, e.g. to measure what a
// default buys; --trace: every EKS Auth call and model pod attempt of each cell, see trace-storm.ts).
// Every cell runs against a fresh agent (default flags) and a fresh EKS Auth emulator, one cell at a time
// (2 cores: never in parallel). Prints the markdown matrix and writes it to bench/SDK-MATRIX.md (or --out).
import { mkdirSync, writeFileSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';
import { join } from 'node:path';
import { sourceRevision } from '../lib/revision.ts';
import { type CellResult, runCell, startMatrixEnv } from './cell.ts';
import { renderMatrix } from './report.ts';
import { ROWS } from './rows.ts';
import { SCENARIOS } from './scenarios.ts';

function option(name: string): string[] | undefined {
  const i = process.argv.indexOf(`--${name}`);
  return i < 0 ? undefined : (process.argv[i + 1] ?? '').split(',').filter(Boolean);
}

function pick<T extends { id: string }>(all: readonly T[], ids: string[] | undefined, what: string): T[] {
  if (!ids) return [...all];
  const unknown = ids.filter((id) => !all.some((x) => x.id === id));
  if (unknown.length > 0) {
    process.stderr.write(
      `unknown ${what}: ${unknown.join(', ')}; known: ${all.map((x) => x.id).join(', ')}\n`,
    );
    process.exit(2);
  }
  return all.filter((x) => ids.includes(x.id));
}

const agentArgs = process.argv.filter((a) => a.startsWith('--agent-arg=')).map((a) => a.slice(12));
const rows = pick(ROWS, option('rows'), 'rows');
const scenarios = pick(SCENARIOS, option('scenarios'), 'scenarios');
const outFile = option('out')?.[0] ?? join(import.meta.dir, '..', 'SDK-MATRIX.md');
/** --trace DIR: each cell's EKS Auth calls and its model pods' attempts, for trace-storm.ts to account for. */
const traceDir = option('trace')?.[0];
if (traceDir) mkdirSync(traceDir, { recursive: true });
const startedAt = new Date();
/** The machine's 1-minute load average: cells are timing-sensitive and the machine may be shared. */
const load = () => loadavg()[0]!.toFixed(1);
const loadAtStart = load();
const t0 = performance.now();
const cells: CellResult[] = [];
for (const scenario of scenarios) {
  for (const row of rows) {
    const env = await startMatrixEnv(agentArgs);
    try {
      const cell = await runCell(
        env,
        row,
        scenario,
        traceDir && join(traceDir, `${scenario.id}.${row.id}.json`),
      );
      cells.push(cell);
      process.stderr.write(
        `[${((performance.now() - t0) / 1000).toFixed(0)}s] ${scenario.id} / ${row.id}: ${cell.verdict} ` +
          `${cell.served}/${cell.pods}, ${cell.calls} calls\n`,
      );
    } catch (err) {
      process.stderr.write(
        `${scenario.id} / ${row.id} FAILED: ${err instanceof Error ? err.message : err}\n`,
      );
    } finally {
      await env.stop();
    }
  }
}
const args = process.argv.slice(2);
const header = [
  '# SDK compatibility matrix',
  '',
  `Command: \`npm run bench:sdk${args.length > 0 ? ` -- ${args.join(' ')}` : ''}\`, started ${startedAt.toISOString()}, ` +
    `source ${sourceRevision()}, Bun ${Bun.version}, ${((performance.now() - t0) / 1000).toFixed(0)} s, ` +
    `${cpus().length} cores, 1-minute load average ${loadAtStart} at the start and ${load()} at the end. ` +
    `Each cell: a fresh agent with its default flags${agentArgs.length > 0 ? ` and ${agentArgs.join(' ')}` : ''}, ` +
    "verifying token signatures with keys from the emulator's API-server stand-in as on a node, in front of a " +
    "fresh EKS Auth emulator; all of the cell's pods start at once, each with its own token and its own source " +
    'address (127.1.x.y; in "one token" all are processes of one pod: one token, one address); the flooder ' +
    'sends from 127.0.0.2.',
  '',
  'Legend: ✅ the agent did what the issue asks (credentials for every pod it was possible to serve, or a clean ' +
    'error where none can exist), ❌ it did not, ⛔ no agent could (physics; see below). Times count from the ' +
    "pods' common start to each pod's outcome; calls are EKS Auth AssumeRoleForPodIdentity calls in the cell " +
    "(the flooder's included).",
];
const markdown = renderMatrix({ rows, scenarios, cells, header });
mkdirSync(join(import.meta.dir, '..', 'results'), { recursive: true });
writeFileSync(
  join(import.meta.dir, '..', 'results', `sdk-matrix-${startedAt.toISOString().replace(/[:.]/g, '-')}.json`),
  `${JSON.stringify({ startedAt, source: sourceRevision(), cells }, null, 2)}\n`,
);
writeFileSync(outFile, markdown);
process.stdout.write(markdown);

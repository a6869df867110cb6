// Renders SDK-matrix cells as markdown: the matrix itself (clients in rows, scenarios in columns), the cells
// that physics rules out and why, and what each client reported where it got no credentials.
import type { CellResult } from './cell.ts';
import type { Row } from './rows.ts';
import type { Scenario } from './scenarios.ts';

const MARK = { pass: '✅', miss: '❌', impossible: '⛔' } as const;

function seconds(ms: number): string {
  return `${(ms / 1000).toFixed(ms < 10_000 ? 2 : 1)} s`;
}

function calls(n: number): string {
  return `${n} call${n === 1 ? '' : 's'}`;
}

/** Single-line, pipe-free text for a table cell. */
function cellText(text: string): string {
  return text.replace(/\s+/g, ' ').replaceAll('|', '/');
}

export function cellSummary(c: CellResult, scenario: Scenario): string {
  const parts: string[] = [MARK[c.verdict]];
  if (c.pods === 1) parts.push(c.served === 1 ? 'got credentials' : 'error', seconds(c.maxMs));
  else parts.push(`${c.served}/${c.pods}`, `p50 ${seconds(c.p50Ms)}, max ${seconds(c.maxMs)}`);
  if (scenario.expect === 'credentials' && c.possible > 0 && c.possible < c.pods) {
    parts.push(`(≤${c.possible} possible)`);
  }
  parts.push(`· ${calls(c.calls)}`);
  if (c.throttled > 0) parts.push(`(${c.throttled} throttled)`);
  return parts.join(' ');
}

export interface MatrixReport {
  rows: readonly Row[];
  scenarios: readonly Scenario[];
  cells: CellResult[];
  header: string[];
}

export function renderMatrix({ rows, scenarios, cells, header }: MatrixReport): string {
  const find = (r: Row, s: Scenario) => cells.find((c) => c.row === r.id && c.scenario === s.id);
  const out = [...header, ''];
  out.push(`| client | ${scenarios.map((s) => s.title).join(' | ')} |`);
  out.push(`|---|${scenarios.map(() => '---').join('|')}|`);
  for (const r of rows) {
    const texts = scenarios.map((s) => {
      const c = find(r, s);
      return c ? cellSummary(c, s) : 'not run';
    });
    out.push(`| ${r.label} | ${texts.join(' | ')} |`);
  }
  out.push('', '**Per scenario** (cells passing / cells run):', '');
  for (const s of scenarios) {
    const run = cells.filter((c) => c.scenario === s.id);
    if (run.length === 0) continue;
    const count = (v: string) => run.filter((c) => c.verdict === v).length;
    const impossible = count('impossible');
    out.push(
      `- ${s.title}: ${count('pass')}/${run.length - impossible} pass` +
        (impossible > 0 ? `, ${impossible} impossible` : ''),
    );
  }
  out.push('', '## Impossible cells, and why (physics, not policy)', '');
  for (const s of scenarios) {
    const ruled = cells.filter((c) => c.scenario === s.id && (c.possible < c.pods || s.expect === 'error'));
    if (ruled.length === 0 || !s.why) continue;
    const who = s.expect === 'error' ? 'every client' : ruled.map((c) => labelOf(rows, c.row)).join(', ');
    out.push(`- **${s.title}** (${who}): ${s.why}.`);
  }
  out.push('', '## What the clients reported', '');
  for (const c of cells) {
    if (c.errors.length === 0 && !c.flood) continue;
    const errors = c.errors.map((e) => `${e.count}x \`${cellText(e.error)}\``).join('; ');
    const flood = c.flood
      ? ` Flooder answers: ${Object.entries(c.flood)
          .map(([status, n]) => `${n}x ${status === '0' ? 'no answer' : status}`)
          .join(', ')}.`
      : '';
    out.push(
      `- ${labelOf(rows, c.row)} / ${titleOf(scenarios, c.scenario)}: ${errors || 'no errors.'}${flood}`,
    );
  }
  out.push('', '## Rows', '', '| client | kind | follows | longest it keeps trying |', '|---|---|---|---|');
  for (const r of rows) {
    const window = Number.isFinite(r.windowMs) ? seconds(r.windowMs) : 'unbounded (no read timeout)';
    out.push(`| ${r.label} | ${r.kind} | ${r.source} | ${window} |`);
  }
  return `${out.join('\n')}\n`;
}

function labelOf(rows: readonly Row[], id: string): string {
  return rows.find((r) => r.id === id)?.label ?? id;
}

function titleOf(scenarios: readonly Scenario[], id: string): string {
  return scenarios.find((s) => s.id === id)?.title ?? id;
}

// Turns runs into figures: a Markdown table of the headline numbers per scenario and policy, and one SVG per
// scenario (cluster-wide EKS Auth calls/s, throttled calls/s, pods without credentials, both policies).
import type { RunResult } from './cluster.ts';
import { ms } from './scenario.ts';

const DAY_MS = 86_400_000;

export interface Figures {
  readonly scenario: string;
  readonly policy: string;
  readonly calls: number;
  readonly throttled: number;
  readonly peakCallsPerSecond: number;
  readonly callsPerLivePodDay: number;
  /** The same without calls for pods that have no association (crash loops here). */
  readonly callsPerLivePodDayWithAssociation: number;
  readonly noAssociationCalls: number;
  readonly deadPodCalls: number;
  readonly deadPodCallsPerDeadPod: number;
  readonly peakPodsWithoutCredentials: number;
  readonly podHoursWithoutCredentials: number;
  /** After the scenario's first outage ends: pods without credentials then, 1 min and 5 min later. */
  readonly afterOutage: readonly [number, number, number] | undefined;
  readonly wallMs: number;
}

function sum(a: Float64Array, from: number, to = a.length): number {
  let s = 0;
  for (let i = from; i < to; i++) s += a[i]!;
  return s;
}

function max(a: Float64Array, from: number, to = a.length): number {
  let m = 0;
  for (let i = from; i < to; i++) if (a[i]! > m) m = a[i]!;
  return m;
}

export function figures(run: RunResult): Figures {
  const { series, seconds } = run.recorder;
  const from = Math.min(run.measureFromS, seconds - 1);
  const livePodDays = sum(series.alive, from) / (DAY_MS / 1000);
  const calls = sum(series.calls, from);
  const deadPodCalls = sum(series.deadPodCalls, from);
  const noAssociationCalls = sum(series.noAssociationCalls, from);
  const deaths = sum(series.deaths, from);
  const outage = run.scenario.events?.find((e) => e.type === 'outage');
  let afterOutage: Figures['afterOutage'];
  if (outage !== undefined) {
    const endS = Math.round((ms(outage.at, 0) + ms(outage.for, 0)) / 1000);
    const at = (s: number) => Math.round(series.noCreds[Math.min(seconds - 1, s)] ?? 0);
    afterOutage = [at(endS - 1), at(endS + 60), at(endS + 300)];
  }
  return {
    scenario: run.scenario.name,
    policy: run.policy.label,
    calls,
    throttled: sum(series.throttled, from),
    peakCallsPerSecond: max(series.calls, from),
    callsPerLivePodDay: livePodDays > 0 ? calls / livePodDays : 0,
    callsPerLivePodDayWithAssociation: livePodDays > 0 ? (calls - noAssociationCalls) / livePodDays : 0,
    noAssociationCalls,
    deadPodCalls,
    // Calls for dead pods in the window, per pod that died in it (a pod dying near the end has not cost all yet).
    deadPodCallsPerDeadPod: deaths > 0 ? deadPodCalls / deaths : 0,
    peakPodsWithoutCredentials: Math.round(max(series.noCreds, from)),
    podHoursWithoutCredentials: sum(series.noCreds, from) / 3600,
    afterOutage,
    wallMs: run.wallMs,
  };
}

const fmt = (n: number, digits = 0) =>
  n.toLocaleString('en-US', { maximumFractionDigits: digits, minimumFractionDigits: digits });

export function markdownTable(all: readonly Figures[]): string {
  const head =
    '| scenario | agent | EKS Auth calls | peak calls/s | throttled | calls per live pod-day (without no-association pods) | calls for pods without association | calls for dead pods (per dead pod) | peak pods without credentials | pod-hours without credentials | without credentials at outage end / +1 min / +5 min | wall s |';
  const rule = `|${'---|'.repeat(12)}`;
  const rows = all.map((f) =>
    [
      f.scenario,
      f.policy,
      fmt(f.calls),
      fmt(f.peakCallsPerSecond),
      fmt(f.throttled),
      `${fmt(f.callsPerLivePodDay, 2)} (${fmt(f.callsPerLivePodDayWithAssociation, 2)})`,
      fmt(f.noAssociationCalls),
      `${fmt(f.deadPodCalls)} (${fmt(f.deadPodCallsPerDeadPod, 2)})`,
      fmt(f.peakPodsWithoutCredentials),
      fmt(f.podHoursWithoutCredentials, 1),
      f.afterOutage ? f.afterOutage.join(' / ') : '-',
      fmt(f.wallMs / 1000, 1),
    ].join(' | '),
  );
  return [head, rule, ...rows.map((r) => `| ${r} |`)].join('\n');
}

// --- SVG ---
const COLOURS = ['#1f77b4', '#d62728', '#2ca02c', '#9467bd'];
const W = 900;
const PANEL_H = 180;
const LEFT = 70;
const RIGHT = 20;
const TOP = 40;
const GAP = 50;
const xmlEscape = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');

/** Per-bin means of a per-second series, so a day fits the plot's width. */
function binned(a: Float64Array, bin: number): number[] {
  const out: number[] = [];
  for (let i = 0; i < a.length; i += bin)
    out.push(sum(a, i, Math.min(a.length, i + bin)) / Math.min(bin, a.length - i));
  return out;
}

function niceMax(v: number): number {
  if (v <= 0) return 1;
  const p = 10 ** Math.floor(Math.log10(v));
  for (const m of [1, 2, 5, 10]) if (v <= m * p) return m * p;
  return 10 * p;
}

function panel(
  y0: number,
  title: string,
  lines: { label: string; values: number[]; colour: string; dashed?: boolean }[],
  seconds: number,
  binS: number,
): string {
  const plotW = W - LEFT - RIGHT;
  const yMax = niceMax(Math.max(...lines.flatMap((l) => l.values)));
  const n = Math.max(1, lines[0]?.values.length ?? 1);
  const x = (i: number) => LEFT + (i / n) * plotW;
  const y = (v: number) => y0 + PANEL_H - (v / yMax) * PANEL_H;
  const parts: string[] = [];
  parts.push(`<text x="${LEFT}" y="${y0 - 8}" font-size="13" font-weight="bold">${xmlEscape(title)}</text>`);
  parts.push(`<rect x="${LEFT}" y="${y0}" width="${plotW}" height="${PANEL_H}" fill="none" stroke="#999"/>`);
  for (let k = 0; k <= 4; k++) {
    const v = (yMax * k) / 4;
    parts.push(`<line x1="${LEFT}" x2="${LEFT + plotW}" y1="${y(v)}" y2="${y(v)}" stroke="#eee"/>`);
    parts.push(
      `<text x="${LEFT - 6}" y="${y(v) + 4}" font-size="10" text-anchor="end">${fmt(v, v < 10 ? 1 : 0)}</text>`,
    );
  }
  const hours = seconds / 3600;
  const stepH = hours > 12 ? 3 : hours > 4 ? 1 : hours > 1 ? 0.25 : 5 / 60;
  for (let h = 0; h <= hours + 1e-9; h += stepH) {
    const px = LEFT + ((h * 3600) / seconds) * plotW;
    const label = stepH >= 1 ? `${fmt(h)} h` : `${fmt(h * 60)} min`;
    parts.push(
      `<text x="${px}" y="${y0 + PANEL_H + 14}" font-size="10" text-anchor="middle">${label}</text>`,
    );
  }
  lines.forEach((l, k) => {
    const pts = l.values.map((v, i) => `${x(i).toFixed(1)},${y(v).toFixed(1)}`).join(' ');
    const dash = l.dashed ? ' stroke-dasharray="4 3"' : '';
    parts.push(`<polyline fill="none" stroke="${l.colour}" stroke-width="1.3"${dash} points="${pts}"/>`);
    parts.push(
      `<text x="${LEFT + plotW - 8}" y="${y0 + 16 + 14 * k}" font-size="11" text-anchor="end" fill="${l.colour}">${xmlEscape(l.label)}</text>`,
    );
  });
  parts.push(
    `<text x="${LEFT + plotW}" y="${y0 + PANEL_H + 28}" font-size="10" text-anchor="end">mean per ${binS} s bin</text>`,
  );
  return parts.join('\n');
}

export function svgPlot(runs: readonly RunResult[]): string {
  const first = runs[0]!;
  const seconds = first.recorder.seconds;
  const binS = Math.max(1, Math.ceil(seconds / 600));
  const H = TOP + 3 * (PANEL_H + GAP) + 10;
  const line = (r: RunResult, k: number, values: number[], suffix = '', dashed = false) => ({
    label: `${r.policy.label}${suffix}`,
    values,
    colour: COLOURS[k % COLOURS.length]!,
    dashed,
  });
  const body = [
    panel(
      TOP,
      'EKS Auth calls per second (cluster-wide, every attempt)',
      runs.map((r, k) => line(r, k, binned(r.recorder.series.calls, binS))),
      seconds,
      binS,
    ),
    panel(
      TOP + PANEL_H + GAP,
      'throttled calls per second (ThrottlingException)',
      runs.map((r, k) => line(r, k, binned(r.recorder.series.throttled, binS))),
      seconds,
      binS,
    ),
    panel(
      TOP + 2 * (PANEL_H + GAP),
      'pods without credentials (running, association present, SDK holds none)',
      runs.map((r, k) => line(r, k, binned(r.recorder.series.noCreds, binS))),
      seconds,
      binS,
    ),
  ].join('\n');
  return [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}" viewBox="0 0 ${W} ${H}" font-family="sans-serif">`,
    `<rect width="${W}" height="${H}" fill="white"/>`,
    `<text x="${LEFT}" y="20" font-size="15" font-weight="bold">${xmlEscape(`cluster-sim: ${first.scenario.name}`)}</text>`,
    body,
    '</svg>',
    '',
  ].join('\n');
}

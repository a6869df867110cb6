// Accounts for every EKS Auth call and every possible slot of one storm cell traced with the matrix's
// --trace: `bun bench/sdk-matrix/trace-storm.ts DIR/storm-300.ruby-chain.json [--rate 50] [--burst 50]`.
// For model rows (their pods' attempts are traced beside the calls). Every time is from the first pod's
// connect (when its request could first reach the agent): the bound's "pods' common start".
import { readFileSync } from 'node:fs';
import type { TraceEntry } from '../../src/emulator/call-trace.ts';
import type { AttemptTrace } from './models/client-model.ts';

function option(name: string, fallback: number): number {
  const i = process.argv.indexOf(`--${name}`);
  return i < 0 ? fallback : Number(process.argv[i + 1]);
}

const file = process.argv[2];
if (!file) throw new Error('usage: trace-storm.ts DIR/<scenario>.<row>.json [--rate N] [--burst N]');
const rate = option('rate', 50);
const burst = option('burst', rate);
const calls = (JSON.parse(readFileSync(file, 'utf8')) as { entries: TraceEntry[] }).entries.sort(
  (a, b) => a.arrivedMs - b.arrivedMs,
);
const attempts = JSON.parse(readFileSync(`${file}.client.json`, 'utf8')) as (AttemptTrace & {
  pod: number;
})[];

const c0 = Math.min(...attempts.map((a) => a.connectMs ?? a.startMs));
const rel = (ms: number) => ms - c0;
// A pod's deadline: its last attempt's connect plus how long the client holds a request (the median hold
// of the attempts that timed out).
const holds = attempts
  .filter((a) => a.result.includes('timeout') && a.connectMs !== undefined)
  .map((a) => a.endMs - a.connectMs!)
  .sort((a, b) => a - b);
const holdMs = holds[Math.floor(holds.length / 2)] ?? 1000;
const lastAttempt = new Map<number, AttemptTrace>();
for (const a of attempts) if ((lastAttempt.get(a.pod)?.startMs ?? -1) < a.startMs) lastAttempt.set(a.pod, a);
const deadline = new Map<number, number>();
const served = new Set<number>();
for (const [pod, a] of lastAttempt) {
  deadline.set(pod, (a.connectMs ?? a.startMs) + holdMs);
  if (a.result === 'HTTP 200') served.add(pod);
}
const lastDeadline = Math.max(...deadline.values());
const podOf = (e: TraceEntry) => Number(e.pod?.slice(e.pod.lastIndexOf('-') + 1));

const admitted = calls.filter((e) => e.status !== 429);
const throttled = calls.filter((e) => e.status === 429);
const firstAdmitMs = admitted[0]?.admittedMs ?? Number.NaN;

// Replays EKS Auth's bucket (full at the pods' start, earning only below its depth) over the admissions.
function bucketAt(t: number): { level: number; atCapMs: number } {
  let level = burst;
  let last = c0;
  let atCapMs = 0;
  const advance = (to: number) => {
    const earned = ((to - last) / 1000) * rate;
    if (level >= burst) atCapMs += to - last;
    else if (level + earned > burst) atCapMs += to - last - ((burst - level) / rate) * 1000;
    level = Math.min(burst, level + earned);
    last = to;
  };
  for (const e of admitted) {
    if (e.admittedMs! > t) break;
    advance(e.admittedMs!);
    level -= 1;
  }
  advance(t);
  return { level, atCapMs };
}

let late = 0;
let forServed = 0;
let inTime = 0;
const seen = new Set<number>();
for (const e of admitted) {
  const pod = podOf(e);
  if (seen.has(pod)) forServed++;
  else if (e.admittedMs! >= (deadline.get(pod) ?? 0)) late++;
  else inTime++;
  seen.add(pod);
}
const delivered = admitted.filter((e) => served.has(podOf(e)));
const returnMs = delivered
  .map((e) => {
    const a = lastAttempt.get(podOf(e))!;
    return a.endMs - e.answeredMs;
  })
  .sort((a, b) => a - b);
const end = bucketAt(lastDeadline);
const rows: [string, string][] = [
  ['pods / served', `${lastAttempt.size} / ${served.size}`],
  ['client hold (median of timed-out attempts)', `${holdMs.toFixed(0)} ms`],
  [
    'attempts connected',
    `${rel(c0).toFixed(0)}-${rel(Math.max(...attempts.map((a) => a.connectMs ?? 0))).toFixed(1)} ms`,
  ],
  ['deadlines', `${rel(Math.min(...deadline.values())).toFixed(0)}-${rel(lastDeadline).toFixed(0)} ms`],
  [
    'first EKS Auth call arrived / admitted',
    `${rel(calls[0]!.arrivedMs).toFixed(1)} / ${rel(firstAdmitMs).toFixed(1)} ms`,
  ],
  ['first throttle', throttled[0] ? `${rel(throttled[0].admittedMs!).toFixed(1)} ms` : '-'],
  [
    'EKS Auth calls: admitted / throttled',
    `${admitted.length} / ${throttled.length} (throttled after the last deadline: ${throttled.filter((e) => e.arrivedMs > lastDeadline).length})`,
  ],
  ['admitted before its pod gave up', String(inTime)],
  ['  of which the answer reached the pod in time', String(delivered.length)],
  ['admitted after its pod gave up', String(late)],
  ['admitted for a pod already answered', String(forServed)],
  [
    'tokens EKS Auth could not earn (bucket full after the pods started)',
    `${((end.atCapMs / 1000) * rate).toFixed(2)} (${end.atCapMs.toFixed(0)} ms at its depth)`,
  ],
  ['tokens left unspent in the bucket at the last deadline', end.level.toFixed(2)],
  [
    'answer return trip, EKS Auth answered -> pod read it (min/median/max)',
    returnMs.length === 0
      ? '-'
      : `${returnMs[0]!.toFixed(1)} / ${returnMs[Math.floor(returnMs.length / 2)]!.toFixed(1)} / ${returnMs.at(-1)!.toFixed(1)} ms`,
  ],
];
process.stdout.write(`| ${file} | |\n|---|---|\n${rows.map(([k, v]) => `| ${k} | ${v} |`).join('\n')}\n`);

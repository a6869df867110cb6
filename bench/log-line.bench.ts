// Cost of one EKS Auth failure log line (the line written per failed attempt): the agent's logger (its own line
// writer with censor-secrets.ts) against pino with the redact paths it used before and against pino with no secret
// handling at all, in the same run, to /dev/null. Medians of REPS rounds of LINES lines each.
// Usage: npx bun bench/log-line.bench.ts [REPS] [LINES]
import pino from 'pino';
import { createLogger } from '../src/observability/logger.ts';
import { median, ratio, round } from './lib/stats.ts';

const REPS = Number(process.argv[2] ?? 5);
const LINES = Number(process.argv[3] ?? 20_000);

/** The redact list the logger had before censor-secrets.ts (pino's `redact`, wildcard paths). */
const OLD_REDACT_PATHS = [
  ...['token', 'authorization', 'secretAccessKey', 'sessionToken', 'SecretAccessKey', 'Token', 'credentials'],
  ...['Authorization', 'SessionToken', 'Credentials'],
  ...['token', 'authorization', 'secretAccessKey', 'sessionToken', 'SecretAccessKey', 'Token'].map(
    (k) => `*.${k}`,
  ),
  ...['credentials', 'Authorization', 'SessionToken', 'Credentials'].map((k) => `*.${k}`),
  'headers.authorization',
  '*.headers.authorization',
  '*.headers.Authorization',
  ...['token', 'Token', 'sessionToken', 'secretAccessKey', 'SecretAccessKey'].map((k) => `*.*.${k}`),
];

const destination = pino.destination({ dest: '/dev/null', sync: false });
const base = {
  level: 'info',
  base: { component: 'eks-pod-identity-agent' },
  timestamp: pino.stdTimeFunctions.isoTime,
  formatters: { level: (label: string) => ({ level: label }) },
};
/** What the rounds call: the agent's logger and pino's share this much. */
type WarnLogger = { warn(fields: object, msg: string): void };
const loggers: Record<string, WarnLogger> = {
  'agent logger (censor-secrets.ts)': createLogger('info', destination),
  'pino redact (the old paths)': pino(
    { ...base, redact: { paths: OLD_REDACT_PATHS, censor: '[redacted]' } },
    destination,
  ),
  'pino, no secret handling': pino(base, destination),
};
const BASELINE = 'pino, no secret handling';

const line = () => ({
  reason: 'request',
  attempt: 1,
  code: 'InternalServerException',
  kind: 'modelled',
  status: 500,
  requestId: '0f6e5b8a-3c1d-4e2f-9a7b-1c2d3e4f5a6b',
  retryable: true,
  latencyMs: 3,
  error: 'EKS Auth InternalServerException (HTTP 500): Injected fault: InternalServerException',
});

const samples: Record<string, number[]> = Object.fromEntries(Object.keys(loggers).map((k) => [k, []]));
for (let rep = 0; rep < REPS; rep++) {
  for (const [name, logger] of Object.entries(loggers)) {
    const startedAt = performance.now();
    for (let i = 0; i < LINES; i++) logger.warn(line(), 'EKS Auth AssumeRoleForPodIdentity failed');
    samples[name]?.push(((performance.now() - startedAt) * 1000) / LINES);
  }
}
console.log(`medians of ${REPS} rounds of ${LINES} lines`);
console.log('| logger | us per line | x no secret handling |');
console.log('|---|---|---|');
for (const [name, values] of Object.entries(samples)) {
  const us = median(values);
  console.log(`| ${name} | ${round(us)} | ${round(ratio(us, median(samples[BASELINE] ?? [])))} |`);
}

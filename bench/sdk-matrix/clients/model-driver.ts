// Driver process for the client-model rows of the SDK matrix (bench/sdk-matrix/models).
// Usage: bun bench/sdk-matrix/clients/model-driver.ts <model-id> < job.json  -> JSON array of outcomes.
import { writeFileSync } from 'node:fs';
import { type AttemptTrace, loadCredentials } from '../models/client-model.ts';
import { MODELS } from '../models/index.ts';
import { type Job, runPods } from './job.ts';

const id = process.argv[2] ?? '';
const model = MODELS[id];
if (!model) throw new Error(`unknown model: ${id}`);
const job = (await Bun.stdin.json()) as Job;
// With the matrix's --trace: every attempt of every pod, written to the file named here.
const traceFile = process.env['PIA_CLIENT_TRACE'];
const attempts: (AttemptTrace & { pod: number })[] = [];
const outcomes = await runPods(job.tokens.length, (i) =>
  loadCredentials(model, job.url, job.tokenFiles[i]!, {
    localAddress: job.addresses[i],
    ...(traceFile && { trace: (t: AttemptTrace) => attempts.push({ ...t, pod: i }) }),
  }),
);
if (traceFile) writeFileSync(traceFile, JSON.stringify(attempts));
process.stdout.write(`${JSON.stringify(outcomes)}\n`);

// Paced cache-hit prober, run as its own process so its timings do not share an event loop with the load:
// one request at a time, a short pause between them, until SIGTERM; then prints {count, p50Ms, p99Ms, errors}.
// Usage: bun bench/clients/hit-prober.ts URL TOKEN_FILE [PAUSE_MS]
import { readFileSync } from 'node:fs';

const url = process.argv[2] ?? '';
const token = readFileSync(process.argv[3] ?? '', 'utf8').trim();
const pauseMs = Number(process.argv[4] ?? 1);
const latencies: number[] = [];
let errors = 0;
let running = true;

process.once('SIGTERM', () => {
  running = false;
});

function percentile(sorted: number[], p: number): number {
  if (sorted.length === 0) return Number.NaN;
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))]!;
}

console.error('probing');
while (running) {
  const startedAt = performance.now();
  try {
    const res = await fetch(url, { headers: { authorization: token } });
    await res.arrayBuffer();
    if (res.status === 200) latencies.push(performance.now() - startedAt);
    else errors++;
  } catch {
    errors++;
  }
  await Bun.sleep(pauseMs);
}
latencies.sort((a, b) => a - b);
const result = {
  count: latencies.length,
  p50Ms: percentile(latencies, 50),
  p99Ms: percentile(latencies, 99),
  errors,
};
process.stdout.write(`${JSON.stringify(result)}\n`);

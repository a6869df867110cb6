// Baseline: a bare Bun.serve answering fixed bytes with the agent's headers, shaped like the agent's route.
// Usage: bun bench/servers/bare-bun.ts PORT BODY_FILE [DELAY_MS]   (prints "ready" once listening)
import { readFileSync } from 'node:fs';

const port = Number(process.argv[2]);
const body = readFileSync(process.argv[3] ?? '', 'utf8');
const delayMs = Number(process.argv[4] ?? 0);
const headers = { 'content-type': 'application/json' } as const;

// A fresh Response per request, like the agent's hit path (a static route would skip that work).
const answer = () => new Response(body, { headers });
const delayed = () =>
  new Promise<Response>((resolve) => {
    setTimeout(() => resolve(answer()), delayMs);
  });

const server = Bun.serve({
  hostname: '127.0.0.1',
  port,
  development: false,
  routes: { '/v1/credentials': { GET: delayMs > 0 ? delayed : answer }, '/ok': new Response('ok') },
  fetch: () => new Response(null, { status: 404 }),
});
process.on('SIGTERM', () => {
  server.stop(true);
  process.exit(0);
});
console.log('ready');

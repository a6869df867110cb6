// Fairness: one client (source 127.0.0.2, in a child process) floods the agent while a victim (127.0.0.1)
// makes steady requests; prints the victim's p99 flooded / quiet, with the per-client rate limiter on and off,
// for a flood of cache hits (never limited: refusing one costs what serving it does) and a flood of misses
// (forged tokens: each costs a signature check unless the limiter refuses it first).
// Run: npx bun bench/fairness.ts [seconds=5] [floodConnections=32]
import { connect, type Socket } from 'node:net';
import { startStack } from '../test/helpers/stack.ts';

const CREDENTIALS_PATH = '/v1/credentials';
/** The victim's pace: about 40 requests/s, well inside the default per-client limit of 100/s. */
const VICTIM_INTERVAL_MS = 20;

/** A keep-alive HTTP/1.1 client on one socket: one request at a time, responses framed by Content-Length. */
async function keepAliveClient(port: number, localAddress: string) {
  const socket: Socket = await new Promise((resolve, reject) => {
    const s = connect({ port, host: '127.0.0.1', localAddress }, () => resolve(s));
    s.once('error', reject);
  });
  socket.setNoDelay(true);
  let buffered = Buffer.alloc(0);
  let waiter: ((status: number) => void) | undefined;
  socket.on('data', (chunk: Buffer) => {
    buffered = Buffer.concat([buffered, chunk]);
    const end = buffered.indexOf('\r\n\r\n');
    if (end < 0) return;
    const head = buffered.subarray(0, end).toString('latin1');
    const length = Number(/content-length: *(\d+)/i.exec(head)?.[1] ?? 0);
    if (buffered.length < end + 4 + length) return;
    buffered = buffered.subarray(end + 4 + length);
    const w = waiter;
    waiter = undefined;
    w?.(Number(head.slice(9, 12)));
  });
  socket.on('error', () => waiter?.(0));
  return {
    request(token: string): Promise<number> {
      return new Promise((resolve) => {
        waiter = resolve;
        socket.write(
          `GET ${CREDENTIALS_PATH} HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: ${token}\r\n\r\n`,
        );
      });
    },
    close: () => socket.destroy(),
  };
}

/** Child role: floods from 127.0.0.2 on N connections until the deadline; prints status counts. */
async function flood(port: number, token: string, connections: number, durationMs: number) {
  const deadline = Date.now() + durationMs;
  const counts: Record<string, number> = {};
  await Promise.all(
    Array.from({ length: connections }, async () => {
      const c = await keepAliveClient(port, '127.0.0.2');
      while (Date.now() < deadline) {
        const status = await c.request(token);
        counts[status] = (counts[status] ?? 0) + 1;
      }
      c.close();
    }),
  );
  console.log(JSON.stringify(counts));
}

function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor((sorted.length * p) / 100))] ?? Number.NaN;
}

/** The victim: one request every intervalMs for durationMs; latencies of 200s in ms, sorted. */
async function victim(port: number, token: string, durationMs: number, intervalMs = VICTIM_INTERVAL_MS) {
  const c = await keepAliveClient(port, '127.0.0.1');
  const latencies: number[] = [];
  let failures = 0;
  const deadline = Date.now() + durationMs;
  while (Date.now() < deadline) {
    const t0 = performance.now();
    const status = await c.request(token);
    if (status === 200) latencies.push(performance.now() - t0);
    else failures++;
    await Bun.sleep(intervalMs);
  }
  c.close();
  return { sorted: latencies.sort((a, b) => a - b), failures };
}

async function scenario(perClientRps: number, seconds: number, connections: number, kind: 'hits' | 'misses') {
  const stack = await startStack({ args: [`--rate-limit-per-client=${perClientRps}`] });
  const port = Number(new URL(stack.agent.url).port);
  const victimToken = (await stack.tokenFile({ podName: 'victim' })).token;
  const genuine = (await stack.tokenFile({ podName: 'flooder' })).token;
  const [h, p] = genuine.split('.');
  const flooderToken =
    kind === 'hits'
      ? genuine
      : `${h}.${p}.${Buffer.from('forged-signature'.repeat(16)).toString('base64url')}`;
  // Warm both entries so the comparison is hit latency, quiet vs flooded.
  await (await keepAliveClient(port, '127.0.0.1')).request(victimToken);
  await (await keepAliveClient(port, '127.0.0.3')).request(flooderToken);
  const quiet = await victim(port, victimToken, seconds * 1000);
  const child = Bun.spawn(
    [
      process.execPath,
      import.meta.path,
      '--flood',
      String(port),
      flooderToken,
      String(connections),
      String(seconds * 1000 + 500),
    ],
    { stdout: 'pipe', stderr: 'inherit' },
  );
  await Bun.sleep(300); // let the flood ramp up before measuring
  const flooded = await victim(port, victimToken, seconds * 1000);
  const floodCounts = JSON.parse((await new Response(child.stdout).text()).trim() || '{}');
  await child.exited;
  await stack.stop();
  const q99 = percentile(quiet.sorted, 99);
  const f99 = percentile(flooded.sorted, 99);
  return {
    flood: kind,
    limiter: perClientRps > 0 ? `on (${perClientRps}/s per client)` : 'off',
    quietP99Ms: q99.toFixed(3),
    floodedP99Ms: f99.toFixed(3),
    ratio: (f99 / q99).toFixed(2),
    victimSamples: flooded.sorted.length,
    victimFailures: flooded.failures,
    flooder: floodCounts,
  };
}

if (process.argv[2] === '--flood') {
  const [port, token, connections, durationMs] = process.argv.slice(3);
  await flood(Number(port), token!, Number(connections), Number(durationMs));
} else {
  const seconds = Number(process.argv[2] ?? 5);
  const connections = Number(process.argv[3] ?? 32);
  const rows = [];
  for (const kind of ['hits', 'misses'] as const) {
    rows.push(await scenario(0, seconds, connections, kind), await scenario(100, seconds, connections, kind));
  }
  console.table(rows);
}

// A junk-token flooder on the same node: a fixed rate of requests from its own source address (127.0.0.2),
// each with a token of valid shape and claims but a signature nobody made, all distinct, so no cache (of
// credentials or of failures) can absorb them: only fair scheduling protects the pods starting beside it.
import { Agent, request } from 'node:http';

export interface Flooder {
  /** Stops sending, waits for the answers in flight, and returns the count of each status (0: no answer). */
  stop(): Promise<Record<string, number>>;
}

const FLOOD_ADDRESS = '127.0.0.2';
const REQUEST_TIMEOUT_MS = 10_000;

function forged(template: string, n: number): string {
  const [header, payload] = template.split('.');
  const signature = Buffer.alloc(256);
  signature.writeUInt32BE(n, 0);
  signature.writeUInt32BE(0x5eed, 252);
  return `${header}.${payload}.${signature.toString('base64url')}`;
}

export function startFlooder(url: string, template: string, perSecond: number): Flooder {
  const agent = new Agent({ keepAlive: true, maxSockets: 256 });
  const counts: Record<string, number> = {};
  const inFlight = new Set<Promise<void>>();
  let n = 0;
  const send = () => {
    const token = forged(template, n++);
    const done = new Promise<void>((resolve) => {
      const count = (status: number) => {
        counts[status] = (counts[status] ?? 0) + 1;
        resolve();
      };
      const req = request(
        url,
        { agent, localAddress: FLOOD_ADDRESS, headers: { Authorization: token } },
        (res) => {
          res.resume();
          res.on('end', () => count(res.statusCode ?? 0));
        },
      );
      req.setTimeout(REQUEST_TIMEOUT_MS, () => req.destroy());
      req.on('error', () => count(0));
      req.end();
    });
    inFlight.add(done);
    void done.then(() => inFlight.delete(done));
  };
  // Open loop: the flood keeps its rate whatever the agent answers (a timer per tick, catching up if late).
  const start = performance.now();
  const timer = setInterval(() => {
    const due = Math.floor(((performance.now() - start) / 1000) * perSecond);
    while (n < due) send();
  }, 5);
  return {
    async stop() {
      clearInterval(timer);
      await Promise.all(inFlight);
      agent.destroy();
      return counts;
    },
  };
}

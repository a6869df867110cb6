// Runtime reference for bench/hostile-upstream.bench.ts: a bare Bun.serve that answers one hot token from a fixed
// body (the agent's own answer for it) and every other token after one loopback fetch to the EKS Auth emulator,
// reading that answer's body the way a minimal server would (`await res.text()`, whole; with `cancel`, the body
// is cancelled unread when its Content-Length is over the agent's 8 KiB error-body bound), with a fixed 503. No
// cache, token checks, retries, logging or metrics: what the runtime itself costs under the same storm. The call
// is signed once at start (SigV4 with the documentation key pair the emulator accepts; a signature stays valid
// for minutes and the emulator applies its fault after checking it), so per storm request the work is Bun's
// own: parse the request, fetch, read, answer. A 1 ms event-loop delay sampler, like the agent variant's
// bench_event_loop_delay_seconds, runs from GET /_bench/loop-delay/start until GET /_bench/loop-delay reads it
// ({p99Ms, maxMs}): between windows it is off, so it does not tick beside the agent on the same core.
// Usage: bun bench/servers/bare-upstream.ts PORT HOT_TOKEN_FILE HOT_BODY_FILE EMULATOR_URL [read|cancel]
//        (prints "ready")
import { readFileSync } from 'node:fs';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { endpointUrl } from '../../src/eks-auth/client-options.ts';
import { createRequestSigner } from '../../src/eks-auth/signer.ts';
import { AGENT_ENV } from '../lib/agent.ts';

const [portArg, hotTokenFile, hotBodyFile, emulatorUrl, mode = 'read'] = process.argv.slice(2);
const cancelOverBound = mode === 'cancel';
/** The agent's MAX_ERROR_BODY_BYTES. */
const BOUND_BYTES = 8 * 1024;
const hotToken = readFileSync(hotTokenFile ?? '', 'utf8').trim();
const hotBody = readFileSync(hotBodyFile ?? '', 'utf8');
const url = endpointUrl(AGENT_ENV.AWS_REGION, 'bench', emulatorUrl);
const body = JSON.stringify({ token: 'bare-reference' });
const sign = createRequestSigner({
  region: AGENT_ENV.AWS_REGION,
  credentials: async () => ({
    accessKeyId: AGENT_ENV.AWS_ACCESS_KEY_ID,
    secretAccessKey: AGENT_ENV.AWS_SECRET_ACCESS_KEY,
  }),
});
const signedHeaders = await sign(
  { method: 'POST', url, headers: { 'content-type': 'application/json' }, body },
  new Date(),
);

const headers = { 'content-type': 'application/json' } as const;
const failed = JSON.stringify({ code: 'ServiceUnavailable', message: 'EKS Auth failed' });
const delay = monitorEventLoopDelay({ resolution: 1 });

async function storm(): Promise<Response> {
  try {
    const res = await fetch(url, { method: 'POST', headers: signedHeaders, body });
    if (cancelOverBound && Number(res.headers.get('content-length') ?? '0') > BOUND_BYTES)
      await res.body?.cancel();
    else await res.text();
  } catch {
    // Unreachable upstream: the same 503.
  }
  return new Response(failed, { status: 503, headers });
}

const server = Bun.serve({
  hostname: '127.0.0.1',
  port: Number(portArg),
  development: false,
  routes: {
    '/v1/credentials': {
      GET: (req) =>
        req.headers.get('authorization') === hotToken ? new Response(hotBody, { headers }) : storm(),
    },
    '/_bench/loop-delay/start': () => {
      delay.reset();
      delay.enable();
      return new Response(null, { status: 204 });
    },
    '/_bench/loop-delay': () => {
      delay.disable();
      const ms = (ns: number) => (delay.count === 0 ? 0 : ns / 1e6);
      return Response.json({ p99Ms: ms(delay.percentile(99)), maxMs: ms(delay.max) });
    },
    '/ok': new Response('ok'),
  },
  fetch: () => new Response(null, { status: 404 }),
});
process.on('SIGTERM', () => {
  server.stop(true);
  process.exit(0);
});
console.log('ready');

// Hit throughput of executables (or one executable under different environments) in interleaved wrk rounds: 64
// connections, one cached token, 3 s per round, the order rotating each round so the shared machine's slow moments
// spread over all variants. For A/Bs of a build or runtime option (README, footprint).
// Usage: bun bench/ab-hits.ts ROUNDS NAME=EXECUTABLE[:ENV=VALUE,ENV=VALUE] ...   (wrap it in flock /tmp/bench.lock)
//   e.g. bun bench/ab-hits.ts 8 base=dist/agent noftl=dist/agent:BUN_JSC_useFTLJIT=0
import { type AgentProcess, getCredentials, startAgentProcess } from './lib/agent.ts';
import { startEmulatorProcess } from './lib/emulator.ts';
import { median } from './lib/stats.ts';
import { runWrk } from './lib/wrk.ts';

const ROUND_SEC = 3;
const CONNECTIONS = 64;

interface Variant {
  readonly name: string;
  readonly exe: string;
  readonly env: Record<string, string>;
}

function parseVariant(spec: string): Variant {
  const eq = spec.indexOf('=');
  if (eq <= 0) throw new Error(`variant ${spec}: expected NAME=EXECUTABLE[:ENV=VALUE,...]`);
  const [exe, envs = ''] = spec.slice(eq + 1).split(':', 2) as [string, string?];
  const pairs = envs.split(',').filter((kv) => kv !== '');
  return { name: spec.slice(0, eq), exe, env: Object.fromEntries(pairs.map((kv) => kv.split('=', 2))) };
}

const [roundsArg, ...specs] = process.argv.slice(2);
const rounds = Number(roundsArg);
if (!(rounds > 0) || specs.length === 0)
  throw new Error('usage: ab-hits.ts ROUNDS NAME=EXECUTABLE[:ENV=V,...] ...');
const emulator = await startEmulatorProcess();
const running: { variant: Variant; agent: AgentProcess; rps: number[] }[] = [];
try {
  const [token] = await emulator.issueTokens(1);
  const headers = { authorization: token! };
  for (const variant of specs.map(parseVariant)) {
    const agent = await startAgentProcess({
      emulatorUrl: emulator.url,
      command: [variant.exe, 'server'],
      env: variant.env,
    });
    running.push({ variant, agent, rps: [] });
    await getCredentials(agent.credentialsUrl, token!);
  }
  // A warm-up round each, so every hit path has tiered up as far as this much load takes it.
  for (const { agent } of running)
    await runWrk({ url: agent.credentialsUrl, connections: CONNECTIONS, durationSec: ROUND_SEC, headers });
  for (let r = 0; r < rounds; r++) {
    for (let i = 0; i < running.length; i++) {
      const v = running[(i + r) % running.length]!;
      const result = await runWrk({
        url: v.agent.credentialsUrl,
        connections: CONNECTIONS,
        durationSec: ROUND_SEC,
        headers,
      });
      if (result.failures > 0) throw new Error(`${v.variant.name}: ${result.failures} failed requests`);
      v.rps.push(Math.round(result.requestsPerSec));
    }
  }
  for (const v of running)
    console.log(`${v.variant.name}: median ${median(v.rps)} hits/s, rounds ${v.rps.join(' ')}`);
} finally {
  for (const { agent } of running) await agent.stop();
  await emulator.stop();
}

// Connection floods against the agent as its own process (the header limit as the executable has it):
// 1. 12,000 sockets from one address, each holding an unfinished header just under the 8 KiB limit: RSS
//    idle and held, bytes per held connection (the README's bound is header limit + 2 KiB).
// 2. At a 2,000-descriptor fd limit, flooded with 2,000 sockets: CPU the agent uses over 2 s once its guard
//    has stopped accepting, against a bare Bun.serve under the same limit and flood (which spins at EMFILE).
// Usage: npx bun bench/connection-flood.bench.ts [REPS]
import { readFileSync } from 'node:fs';
import { startEmulator } from '../src/emulator/index.ts';
import { startAgentProcess } from '../test/helpers/agent-process.ts';
import { flood } from '../test/helpers/flood.ts';
import { freePort } from '../test/helpers/free-port.ts';
import { spawnChild } from './lib/processes.ts';
import { median, round } from './lib/stats.ts';

const REPS = Number(process.argv[2] ?? 3);
const FD_LIMIT = 2000;
const TICKS_PER_SECOND = 100;

function cpuTicks(pid: number): number {
  const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
  return Number(fields[11]) + Number(fields[12]);
}

async function cpuShareOver(pid: number, ms: number): Promise<number> {
  const before = cpuTicks(pid);
  await Bun.sleep(ms);
  return (cpuTicks(pid) - before) / ((TICKS_PER_SECOND * ms) / 1000);
}

const emulator = await startEmulator();
const rows: {
  idleMb: number;
  heldMb: number;
  held: number;
  bytesPerConn: number;
  agentCpu: number;
  bareCpu: number;
}[] = [];
try {
  for (let rep = 0; rep < REPS; rep++) {
    const agent = await startAgentProcess({ endpoint: emulator.url, tokenIssuer: emulator.url });
    let idleMb: number;
    let heldMb: number;
    let held: number;
    try {
      await Bun.sleep(500);
      idleMb = agent.rssMb();
      const fds = agent.openFds();
      const f = await flood(agent.port, 12_000, `127.0.0.${40 + rep}`);
      held = agent.openFds() - fds;
      heldMb = agent.rssMb();
      await f.end();
    } finally {
      await agent.stop();
    }

    const limited = await startAgentProcess({
      endpoint: emulator.url,
      tokenIssuer: emulator.url,
      fdLimit: FD_LIMIT,
    });
    let agentCpu: number;
    try {
      const f = await flood(limited.port, FD_LIMIT, `127.0.0.${50 + rep}`);
      await Bun.sleep(300);
      agentCpu = await cpuShareOver(limited.child.pid, 2_000);
      await f.end();
    } finally {
      await limited.stop();
    }

    const barePort = freePort();
    const bare = spawnChild([
      'sh',
      '-c',
      `ulimit -n ${FD_LIMIT} && exec "$@"`,
      'sh',
      process.execPath,
      'bench/servers/bare-bun.ts',
      String(barePort),
      'package.json',
    ]);
    let bareCpu: number;
    try {
      await Bun.sleep(800);
      const f = await flood(barePort, FD_LIMIT, `127.0.0.${60 + rep}`);
      await Bun.sleep(300);
      bareCpu = await cpuShareOver(bare.pid, 2_000);
      await f.end();
    } finally {
      await bare.stop();
    }
    rows.push({
      idleMb,
      heldMb,
      held,
      bytesPerConn: ((heldMb - idleMb) * 2 ** 20) / held,
      agentCpu,
      bareCpu,
    });
    console.error(JSON.stringify(rows.at(-1)));
  }
} finally {
  await emulator.stop();
}
const m = (k: keyof (typeof rows)[number]) => round(median(rows.map((r) => r[k])));
console.log(`medians of ${REPS} runs`);
console.log('| measure | value |');
console.log('|---|---|');
console.log(`| agent RSS idle (MB) | ${m('idleMb')} |`);
console.log(
  `| agent RSS with 12,000 unfinished 8 KB headers from one address (MB) | ${m('heldMb')} (${m('held')} sockets held) |`,
);
console.log(`| bytes per held connection | ${m('bytesPerConn')} |`);
console.log(
  `| CPU share at a ${FD_LIMIT}-descriptor limit, flooded: agent (guard paused) | ${m('agentCpu')} |`,
);
console.log(`| ... bare Bun.serve (spins at EMFILE) | ${m('bareCpu')} |`);

// Connection floods against the agent as its own process: sockets that never finish their headers, from one
// source address. What bounds them: the header limit (each holds at most that much), Bun's fixed header
// deadline, and the connection guard (--max-connections, and the fd limit less a reserve), which stops the
// data listeners accepting at the cap instead of letting Bun's accept loop spin at EMFILE.
import { afterAll, beforeAll, describe, expect, test } from 'bun:test';
import { type Emulator, startEmulator } from '../../src/emulator/index.ts';
import { MAX_REQUEST_HEADER_BYTES } from '../../src/http/connection-guard.ts';
import { type AgentProcess, startAgentProcess } from '../helpers/agent-process.ts';
import { flood as floodFrom } from '../helpers/flood.ts';
import { openSocket } from './raw-http.ts';

/** The README's bound per unfinished-header connection: the header limit plus Bun's own per-socket cost. */
const BYTES_PER_UNFINISHED_CONNECTION = MAX_REQUEST_HEADER_BYTES + 2048;
/** The manifests' memory limit. */
const MANIFEST_LIMIT_MB = 384;
const FLOOD_ADDRESS = '127.0.0.9';

function flood(port: number, count: number, localAddress = FLOOD_ADDRESS, headerBytes?: number) {
  return floodFrom(port, count, localAddress, headerBytes);
}

let emulator: Emulator;
beforeAll(async () => {
  emulator = await startEmulator();
});
afterAll(() => emulator.stop());

async function credentials(agent: AgentProcess, token: string, localAddress: string): Promise<number> {
  // fetch cannot choose its source address: a raw request from a loopback alias.
  const { rawRequest, credentialsRequest } = await import('./raw-http.ts');
  const answer = await rawRequest(agent.port, credentialsRequest(`127.0.0.1:${agent.port}`, token), {
    localAddress,
    timeoutMs: 10_000,
  });
  return answer.status;
}

async function accepting(agent: AgentProcess): Promise<number> {
  const text = await (await fetch(agent.metricsUrl)).text();
  return Number(/^pod_identity_accepting_connections (\S+)$/m.exec(text)?.[1]);
}

async function waitFor(check: () => Promise<boolean> | boolean, limitMs = 20_000): Promise<void> {
  const deadline = Date.now() + limitMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error('condition not reached');
    await Bun.sleep(50);
  }
}

describe('12,000 unfinished-header sockets from one address', () => {
  let agent: AgentProcess;
  beforeAll(async () => {
    agent = await startAgentProcess({ endpoint: emulator.url, tokenIssuer: emulator.url });
  });
  afterAll(() => agent.stop());

  test('RSS stays within the per-connection bound; pods on other addresses are served', async () => {
    const cached = await emulator.issueToken({
      namespace: 'default',
      serviceAccount: 'app',
      podName: 'cached',
    });
    expect(await credentials(agent, cached, '127.0.0.2')).toBe(200);
    const fdsBefore = agent.openFds();
    const rssBefore = agent.rssMb();
    const sockets = await flood(agent.port, 12_000);
    try {
      expect(sockets.opened).toBe(12_000);
      // Bun closes each after its header deadline (~10 s): measure while most are still open.
      const held = agent.openFds() - fdsBefore;
      const rss = agent.rssMb();
      expect(held).toBeGreaterThan(6_000);
      expect(rss - rssBefore).toBeLessThanOrEqual((held * BYTES_PER_UNFINISHED_CONNECTION) / 2 ** 20);
      expect(rss).toBeLessThan(MANIFEST_LIMIT_MB / 2);
      const fresh = await emulator.issueToken({
        namespace: 'default',
        serviceAccount: 'app',
        podName: 'new',
      });
      expect(await credentials(agent, cached, '127.0.0.2')).toBe(200);
      expect(await credentials(agent, fresh, '127.0.0.3')).toBe(200);
      expect(await accepting(agent)).toBe(1);
    } finally {
      await sockets.end();
    }
  }, 60_000);

  test("headers past the header limit (16,000 bytes, under Bun's default 16 KiB) are refused, not held", async () => {
    const fdsBefore = agent.openFds();
    const rssBefore = agent.rssMb();
    const sockets = await flood(agent.port, 6_000, '127.0.0.10', 16_000);
    try {
      // Bun answers 431 and closes each once its header passes the limit: nothing is left to hold.
      await waitFor(() => agent.openFds() - fdsBefore < 500);
      expect(agent.rssMb() - rssBefore).toBeLessThan((6_000 * MAX_REQUEST_HEADER_BYTES) / 2 ** 20);
    } finally {
      await sockets.end();
    }
  }, 60_000);
});

describe('at the connection cap the data listener stops accepting, and starts again', () => {
  let agent: AgentProcess;
  beforeAll(async () => {
    agent = await startAgentProcess({
      endpoint: emulator.url,
      tokenIssuer: emulator.url,
      args: ['--max-connections', '600'],
    });
  });
  afterAll(() => agent.stop());

  test('900 sockets: refused past the cap, probes answer, service resumes when they close', async () => {
    const token = await emulator.issueToken({ namespace: 'default', serviceAccount: 'app', podName: 'p' });
    expect(await credentials(agent, token, '127.0.0.2')).toBe(200);
    const sockets = await flood(agent.port, 900);
    try {
      await waitFor(async () => (await accepting(agent)) === 0);
      // New connections are refused at once while the flood holds the cap (SDKs retry connection errors).
      expect(openSocket(agent.port, '127.0.0.1', '127.0.0.4')).rejects.toThrow();
      expect((await fetch(`${agent.probeUrl}/healthz`)).status).toBe(200);
    } finally {
      await sockets.end();
    }
    await waitFor(async () => (await accepting(agent)) === 1);
    expect(await credentials(agent, token, '127.0.0.2')).toBe(200);
  }, 60_000);
});

describe('at the fd limit the agent does not spin: the probes keep answering', () => {
  const FD_LIMIT = 2000;
  let agent: AgentProcess;
  beforeAll(async () => {
    agent = await startAgentProcess({ endpoint: emulator.url, tokenIssuer: emulator.url, fdLimit: FD_LIMIT });
  });
  afterAll(() => agent.stop());

  test(`${FD_LIMIT} sockets against a ${FD_LIMIT}-descriptor limit`, async () => {
    const sockets = await flood(agent.port, FD_LIMIT);
    try {
      await waitFor(async () => (await accepting(agent)) === 0);
      // The reserve is what the probe and metrics listeners accept with; without the guard the process
      // sits at EMFILE and these hang.
      expect(agent.openFds()).toBeLessThan(FD_LIMIT);
      const health = await fetch(`${agent.probeUrl}/healthz`, { signal: AbortSignal.timeout(5_000) });
      expect(health.status).toBe(200);
    } finally {
      await sockets.end();
    }
    await waitFor(async () => (await accepting(agent)) === 1);
  }, 60_000);
});

// End to end on a real kernel: initialize + emulator + `server` (default bind hosts, port 80) inside network
// namespaces; the AWS SDK's own container provider fetches credentials at both agent addresses.
import { afterAll, beforeAll, describe, expect, test } from 'bun:test';
import { resolve } from 'node:path';
import {
  AGENT_ENV,
  type StartedProcess,
  setUpNode,
  startAgent,
  startEmulator,
  startIn,
} from './agent-stack.ts';
import { createNetnsRegistry, netnsUnavailableReason } from './netns.ts';

const CLIENT = resolve(import.meta.dir, 'fixtures/credentials-client.ts');
const V4_URL = 'http://169.254.170.23/v1/credentials';
const V6_URL = 'http://[fd00:ec2::23]/v1/credentials';

const netns = createNetnsRegistry();
const processes: StartedProcess[] = [];
afterAll(async () => {
  await Promise.all(processes.splice(0).map((p) => p.stop()));
  await netns.deleteAll();
});

/** Skips (with the reason printed) until the lead's `server` exists: checked by running it, not by reading code. */
async function serverPendingReason(): Promise<string | undefined> {
  const ns = await netns.add('probe');
  const probe = startIn(ns, ['server', '--cluster-name', 'probe']);
  // A stub exits at once; a real server logs "agent started" (or exits on its own error): stop at the first.
  await Promise.race([probe.child.exited, probe.stdout.waitFor((l) => l.includes('"agent started"'))]);
  await probe.stop();
  return /not implemented/i.test(probe.output()) ? 'server is not implemented yet' : undefined;
}

const skipReason = (await netnsUnavailableReason()) ?? (await serverPendingReason());
if (skipReason) console.warn(`skipping agent network-namespace e2e tests: ${skipReason}`);

interface ClientResult {
  url: string;
  ok: boolean;
  accessKeyId?: string;
  hasSecret?: boolean;
  hasSessionToken?: boolean;
  expiresInSeconds?: number;
  error?: string;
  /** The same URL fetched raw: what fromHttp does not surface. */
  raw?: {
    status: number;
    contentType: string | null;
    keys: string[];
    accountId?: string;
    expiration?: string;
  };
}

async function fetchCredentials(ns: string, emulatorUrl: string, ...urls: string[]): Promise<ClientResult[]> {
  const result = await netns.exec(ns, [process.execPath, CLIENT, emulatorUrl, ...urls]);
  if (result.exitCode !== 0) throw new Error(`client failed: ${result.stderr.slice(0, 500)}`);
  return JSON.parse(result.stdout.trim().split('\n').at(-1)!) as ClientResult[];
}

function expectCredentials(result: ClientResult | undefined) {
  expect(result).toBeDefined();
  expect(result!.error).toBeUndefined();
  expect(result!.ok).toBe(true);
  expect(result!.accessKeyId).toMatch(/^[A-Z0-9]{16,}$/);
  expect(result!.hasSecret).toBe(true);
  expect(result!.hasSessionToken).toBe(true);
  // Comfortably more than botocore's 15 minute refresh window.
  expect(result!.expiresInSeconds!).toBeGreaterThan(15 * 60);
  // The body every SDK accepts (facts/sdk-clients.md): exact fields, JSON, RFC 3339 with a literal Z.
  expect(result!.raw).toMatchObject({
    status: 200,
    contentType: 'application/json',
    accountId: '111122223333',
  });
  expect(result!.raw!.keys.sort()).toEqual([
    'AccessKeyId',
    'AccountId',
    'Expiration',
    'SecretAccessKey',
    'Token',
  ]);
  expect(result!.raw!.expiration).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z$/);
}

function expectNoSecretsIn(output: string) {
  expect(output).not.toContain(AGENT_ENV.AWS_SECRET_ACCESS_KEY!);
  expect(output).not.toMatch(/eyJ[\w-]+\.eyJ[\w-]+\./); // no JWT (a bearer credential)
}

describe.skipIf(skipReason !== undefined)('agent in a dual-stack network namespace', () => {
  let ns = '';
  let emulatorUrl = '';
  let agent: StartedProcess;
  let listeners: Array<{ host: string; bound: boolean }> | undefined;

  beforeAll(async () => {
    ns = await netns.add('dual');
    await setUpNode(netns, ns, { ipv6: true });
    const emulator = await startEmulator(ns);
    processes.push(emulator.process);
    emulatorUrl = emulator.url;
    const started = await startAgent(ns, emulatorUrl);
    agent = started.agent;
    processes.push(agent);
    listeners = started.listeners;
    if (!listeners) throw new Error(`agent did not start: ${agent.output().slice(0, 1000)}`);
  });

  test('binds both default hosts on port 80', () => {
    expect(listeners!.map((l) => [l.host, l.bound])).toEqual([
      ['169.254.170.23', true],
      ['fd00:ec2::23', true],
    ]);
  });

  test('the AWS SDK gets credentials at http://169.254.170.23 and http://[fd00:ec2::23]', async () => {
    const [v4, v6] = await fetchCredentials(ns, emulatorUrl, V4_URL, V6_URL);
    expectCredentials(v4);
    expectCredentials(v6);
    expectNoSecretsIn(agent.output());
  });
});

describe.skipIf(skipReason !== undefined)('agent in a network namespace with IPv6 disabled', () => {
  let ns = '';
  let initOutput = '';
  let emulatorUrl = '';
  let agent: StartedProcess;
  let listeners: Array<{ host: string; bound: boolean; error?: string }> | undefined;

  beforeAll(async () => {
    ns = await netns.add('nov6');
    initOutput = await setUpNode(netns, ns, { ipv6: false });
    const emulator = await startEmulator(ns);
    processes.push(emulator.process);
    emulatorUrl = emulator.url;
    const started = await startAgent(ns, emulatorUrl);
    agent = started.agent;
    processes.push(agent);
    listeners = started.listeners;
    if (!listeners) throw new Error(`agent did not start: ${agent.output().slice(0, 1000)}`);
  });

  test('initialize and the agent both report IPv6 as down, and keep going', () => {
    expect(initOutput).toContain('IPv6 fd00:ec2::23/128 unavailable');
    const v6 = listeners!.find((l) => l.host === 'fd00:ec2::23');
    expect(v6?.bound).toBe(false);
    expect(listeners!.find((l) => l.host === '169.254.170.23')?.bound).toBe(true);
    expect(agent.output()).toMatch(/IPv6 bind host unavailable/);
  });

  test('IPv4 serves credentials; the IPv6 address does not answer', async () => {
    const [v4, v6] = await fetchCredentials(ns, emulatorUrl, V4_URL, '--down', V6_URL);
    expectCredentials(v4);
    expect(v6?.ok).toBe(false);
    expectNoSecretsIn(agent.output());
  });
});

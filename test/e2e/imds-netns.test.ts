// An EC2 node's agent with NO endpoint variable: inside a network namespace the IMDS stand-in listens at the
// instance metadata service's real addresses, http://169.254.169.254 and http://[fd00:ec2::254] (port 80), and
// the agent (no keys, empty HOME) finds it there by default and with AWS_EC2_METADATA_SERVICE_ENDPOINT_MODE=IPv6.
// The emulator accepts only calls signed with the stand-in's session token, so a pod's credentials prove the agent
// signed with the instance role; the stand-in's counts show which address it asked, and that it used IMDSv2.
import { afterAll, beforeAll, describe, expect, test } from 'bun:test';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { DEFAULT_SECRET_ACCESS_KEY } from '../../src/emulator/index.ts';
import { AGENT_ENV, type StartedProcess, startIn } from './agent-stack.ts';
import { createNetnsRegistry, netnsUnavailableReason } from './netns.ts';

const CLIENT = resolve(import.meta.dir, 'fixtures/credentials-client.ts');
const STAND_IN = resolve(import.meta.dir, 'fixtures/imds-stand-in.ts');
const SESSION_TOKEN = 'instance-role-session-token-netns';

type Counts = { tokenPuts: number; getsWithToken: number; getsWithoutToken: number; credentialGets: number };
type Family = 'ipv4' | 'ipv6';

const netns = createNetnsRegistry();
const processes: StartedProcess[] = [];
const home = mkdtempSync(join(tmpdir(), 'imds-netns-home-')); // stays empty: no shared credentials or config
const configDir = mkdtempSync(join(tmpdir(), 'imds-netns-config-'));
afterAll(async () => {
  await Promise.all(processes.splice(0).map((p) => p.stop()));
  await netns.deleteAll();
  rmSync(home, { recursive: true, force: true });
  rmSync(configDir, { recursive: true, force: true });
});

const skipReason = await netnsUnavailableReason();
if (skipReason) console.warn(`skipping IMDS default-address network-namespace e2e test: ${skipReason}`);

async function mustExec(ns: string, cmd: string[]) {
  const result = await netns.exec(ns, cmd);
  if (result.exitCode !== 0) throw new Error(`${cmd.join(' ')} in ${ns}: ${result.stderr.trim()}`);
}

describe.skipIf(skipReason !== undefined)('agent on a node with IMDS at its default addresses', () => {
  let ns = '';
  let emulatorUrl = '';
  let standIn: StartedProcess;
  let standInUrls: string[] = [];

  /** The stand-in's request counts per address, asked for with SIGUSR2. */
  async function counts(): Promise<Record<Family, Counts>> {
    const before = standIn.stdout.lines.length;
    const isStats = (l: string) => l.startsWith('{"stats"');
    standIn.child.kill('SIGUSR2');
    await standIn.stdout.waitFor(() => standIn.stdout.lines.slice(before).some(isStats), 5_000);
    const line = standIn.stdout.lines.slice(before).find(isStats);
    if (line === undefined) throw new Error(`stand-in gave no stats: ${standIn.output().slice(0, 500)}`);
    return (JSON.parse(line) as { stats: Record<Family, Counts> }).stats;
  }

  beforeAll(async () => {
    ns = await netns.add('imds');
    await mustExec(ns, ['ip', 'link', 'set', 'lo', 'up']);
    await mustExec(ns, ['ip', 'addr', 'add', '169.254.169.254/32', 'dev', 'lo']);
    await mustExec(ns, ['ip', '-6', 'addr', 'add', 'fd00:ec2::254/128', 'dev', 'lo', 'nodad']);

    const configFile = join(configDir, 'emulator.json');
    writeFileSync(configFile, JSON.stringify({ sessionToken: SESSION_TOKEN }));
    const emulator = startIn(ns, ['emulator', '--port', '0', '--host', '127.0.0.1', '--config', configFile]);
    processes.push(emulator);
    const line = await emulator.stdout.waitFor((l) => l.startsWith('{') && l.includes('"url"'));
    if (line === undefined) throw new Error(`emulator did not start: ${emulator.output().slice(0, 500)}`);
    emulatorUrl = (JSON.parse(line) as { url: string }).url;

    standIn = startIn(ns, [STAND_IN, SESSION_TOKEN], AGENT_ENV, [process.execPath]);
    processes.push(standIn);
    const ready = await standIn.stdout.waitFor((l) => l.startsWith('{"urls"'));
    if (ready === undefined)
      throw new Error(`IMDS stand-in did not start: ${standIn.output().slice(0, 500)}`);
    standInUrls = (JSON.parse(ready) as { urls: string[] }).urls;
  });

  /** Starts the agent with only a region and an empty HOME, asks it for a pod's credentials, stops it. */
  async function podCredentialsVia(port: number, extraEnv: Record<string, string>) {
    const env = {
      PATH: process.env.PATH ?? '/usr/bin:/bin',
      HOME: home,
      AWS_REGION: 'us-west-2',
      ...extraEnv,
    };
    const flags = ['--cluster-name', 'e2e', '--endpoint', emulatorUrl, '--token-issuer', emulatorUrl];
    const listen = ['-b', '127.0.0.1', '-p', String(port), '--probe-address', '127.0.0.1'];
    const ports = ['--probe-port', String(port + 1), '--metrics-address', '127.0.0.1'];
    const agent = startIn(
      ns,
      ['server', ...flags, ...listen, ...ports, '--metrics-port', String(port + 2)],
      env,
    );
    processes.push(agent);
    try {
      const started = await agent.stdout.waitFor((l) => l.includes('"agent started"'));
      if (started === undefined) throw new Error(`agent did not start: ${agent.output().slice(0, 1000)}`);
      const url = `http://127.0.0.1:${port}/v1/credentials`;
      const result = await netns.exec(ns, [process.execPath, CLIENT, emulatorUrl, url]);
      if (result.exitCode !== 0) throw new Error(`client failed: ${result.stderr.slice(0, 500)}`);
      const [pod] = JSON.parse(result.stdout.trim().split('\n').at(-1)!) as Array<{
        ok: boolean;
        error?: string;
      }>;
      return { pod, agentOutput: agent.output() };
    } finally {
      await agent.stop();
    }
  }

  function delta(after: Counts, before: Counts): Counts {
    return {
      tokenPuts: after.tokenPuts - before.tokenPuts,
      getsWithToken: after.getsWithToken - before.getsWithToken,
      getsWithoutToken: after.getsWithoutToken - before.getsWithoutToken,
      credentialGets: after.credentialGets - before.credentialGets,
    };
  }

  async function expectServedFrom(used: Family, port: number, extraEnv: Record<string, string>) {
    const unused: Family = used === 'ipv4' ? 'ipv6' : 'ipv4';
    const before = await counts();
    const { pod, agentOutput } = await podCredentialsVia(port, extraEnv);
    const after = await counts();
    expect(pod?.error).toBeUndefined();
    expect(pod?.ok).toBe(true);
    expect(agentOutput).toContain('node credentials from the instance metadata service');
    // IMDSv2 at the expected address: a token PUT, then the role name and its credentials with the token.
    const seen = delta(after[used], before[used]);
    expect(seen.tokenPuts).toBeGreaterThanOrEqual(1);
    expect(seen.getsWithToken).toBeGreaterThanOrEqual(2);
    expect(seen.credentialGets).toBeGreaterThanOrEqual(1);
    expect(seen.getsWithoutToken).toBe(0);
    // The other address was never asked.
    expect(delta(after[unused], before[unused])).toEqual({
      tokenPuts: 0,
      getsWithToken: 0,
      getsWithoutToken: 0,
      credentialGets: 0,
    });
    expect(agentOutput).not.toContain(SESSION_TOKEN);
    expect(agentOutput).not.toContain(DEFAULT_SECRET_ACCESS_KEY);
  }

  test('the stand-in listens at both real addresses on port 80', () => {
    expect(standInUrls).toEqual(['http://169.254.169.254:80', 'http://[fd00:ec2::254]:80']);
  });

  test('default mode: the agent gets the instance role from http://169.254.169.254', async () => {
    await expectServedFrom('ipv4', 18_001, {});
  });

  test('AWS_EC2_METADATA_SERVICE_ENDPOINT_MODE=IPv6: from http://[fd00:ec2::254]', async () => {
    await expectServedFrom('ipv6', 18_011, { AWS_EC2_METADATA_SERVICE_ENDPOINT_MODE: 'IPv6' });
  });
});

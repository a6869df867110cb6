// An EC2 node's agent: no keys in its environment and no shared files, the instance role's credentials from
// IMDS (the stand-in, src/emulator/imds.ts). The agent process gets them (without the SDK chain:
// test/eks-auth/imds-credentials.test.ts), signs its EKS Auth calls with them (the emulator accepts only that
// key pair and session token), and serves a pod.
import { afterAll, expect, test } from 'bun:test';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startAgentProcess } from '../../bench/lib/agent.ts';
import { startEmulatorProcess } from '../../bench/lib/emulator.ts';
import { startImdsStandIn } from '../../src/emulator/imds.ts';
import { DEFAULT_ACCESS_KEY_ID, DEFAULT_SECRET_ACCESS_KEY } from '../../src/emulator/index.ts';

const home = mkdtempSync(join(tmpdir(), 'imds-node-home-'));
afterAll(() => rmSync(home, { recursive: true, force: true }));

test('node credentials from IMDSv2: the agent signs with the instance role and serves a pod', async () => {
  const sessionToken = 'instance-role-session-token';
  // The emulator accepts only calls signed with this session token (and its default key pair).
  const configFile = join(home, 'emulator.json');
  writeFileSync(configFile, JSON.stringify({ sessionToken }));
  const emulator = await startEmulatorProcess({ configFile });
  const imds = startImdsStandIn({
    httpTokens: 'required',
    credentials: {
      accessKeyId: DEFAULT_ACCESS_KEY_ID,
      secretAccessKey: DEFAULT_SECRET_ACCESS_KEY,
      sessionToken,
      expiration: new Date(Date.now() + 6 * 3600_000),
    },
  });
  const agent = await startAgentProcess({
    emulatorUrl: emulator.url,
    env: {
      AWS_ACCESS_KEY_ID: '',
      AWS_SECRET_ACCESS_KEY: '',
      AWS_EC2_METADATA_SERVICE_ENDPOINT: imds.url,
      HOME: home,
    },
  });
  try {
    const [token] = await emulator.issueTokens(1);
    const res = await fetch(agent.credentialsUrl, { headers: { authorization: token! } });
    const body = (await res.json()) as Record<string, string>;
    expect(res.status).toBe(200);
    expect(body['AccessKeyId']).toMatch(/^ASIA/);
    expect(imds.stats.tokenPuts).toBeGreaterThanOrEqual(1);
    expect(imds.stats.getsWithoutToken).toBe(0);
    expect((await emulator.stats()).succeeded).toBe(1);
  } finally {
    await agent.stop();
    await imds.stop();
    await emulator.stop();
  }
}, 30_000);

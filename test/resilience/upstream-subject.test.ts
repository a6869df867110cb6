// EKS Auth's answer is cross-checked: credentials for another subject than the token's are refused with a
// clear 5xx, never cached, logged and counted. And one spelling per token: the 16 spellings of a signature
// cost one EKS Auth call and share one cache entry.
import { afterAll, beforeAll, describe, expect, test } from 'bun:test';
import { type Agent, startAgent } from '../../src/agent/agent.ts';
import {
  DEFAULT_ACCESS_KEY_ID,
  DEFAULT_SECRET_ACCESS_KEY,
  type Emulator,
  startEmulator,
} from '../../src/emulator/index.ts';
import { testConfig } from '../helpers/agent-config.ts';
import { spellings } from '../helpers/token-spellings.ts';
import { createCapturingLogger } from './fault-stack.ts';

/** A fake EKS Auth on loopback: a well-formed 200 whose subject the test chooses. */
function startFakeEksAuth() {
  const state = { calls: 0, subject: { namespace: 'kube-system', serviceAccount: 'admin' } };
  let n = 0;
  const server = Bun.serve({
    hostname: '127.0.0.1',
    port: 0,
    fetch() {
      state.calls++;
      n++;
      return Response.json({
        subject: state.subject,
        audience: 'pods.eks.amazonaws.com',
        podIdentityAssociation: {
          associationArn: 'arn:aws:eks:us-west-2:111122223333:podidentityassociation/c/a-1',
          associationId: 'a-1',
        },
        assumedRoleUser: {
          arn: 'arn:aws:sts::111122223333:assumed-role/admin/s',
          assumeRoleId: 'AROAEXAMPLE:s',
        },
        credentials: {
          sessionToken: `session-${n}`,
          secretAccessKey: `secret-${n}`,
          accessKeyId: `ASIAFAKE${String(n).padStart(12, '0')}`,
          expiration: Math.floor(Date.now() / 1000) + 6 * 3600,
        },
      });
    },
  });
  return { url: `http://127.0.0.1:${server.port}`, state, stop: () => server.stop(true) };
}

const nodeCredentials = { accessKeyId: DEFAULT_ACCESS_KEY_ID, secretAccessKey: DEFAULT_SECRET_ACCESS_KEY };
let emu: Emulator;
beforeAll(async () => {
  emu = await startEmulator();
});
afterAll(() => emu.stop());

async function ask(agent: Agent, token: string) {
  const res = await fetch(`${agent.url}/v1/credentials`, {
    headers: { authorization: token, host: new URL(agent.url).host },
  });
  return { status: res.status, body: (await res.json()) as Record<string, string> };
}

describe.each([
  ['claims mode', (_emu: Emulator) => ['--verify-tokens=claims']],
  ['verified mode', (e: Emulator) => [`--token-issuer=${e.url}`]],
])('subject cross-check, %s', (_mode, args) => {
  test('a mismatched subject is refused with a clear 502, not cached, logged and counted', async () => {
    const fake = startFakeEksAuth();
    const { logger, lines } = createCapturingLogger();
    const agent = await startAgent(
      testConfig([`--endpoint=${fake.url}`, '--rate-limit-per-client=0', ...args(emu)]),
      {
        logger,
        nodeCredentials,
      },
    );
    try {
      await agent.verification.keySource?.start();
      const token = await emu.issueToken({ namespace: 'team-a', serviceAccount: 'web', podName: 'web-1' });
      const first = await ask(agent, token);
      expect(first.status).toBe(502);
      expect(first.body.code).toBe('UpstreamSubjectMismatch');
      expect(first.body.message).toContain('another namespace or service account');
      expect(JSON.stringify(first.body)).not.toContain('ASIAFAKE');
      // Not cached: the retry asks EKS Auth again.
      expect((await ask(agent, token)).status).toBe(502);
      expect(fake.state.calls).toBe(2);
      const scrape = await (await fetch(`${agent.metricsServer!.url}/metrics`)).text();
      expect(scrape).toContain('pod_identity_upstream_subject_mismatch_total 2');
      const logged = lines.map((l) => JSON.parse(l)).filter((l) => l.msg?.includes('another subject'));
      expect(logged[0]).toMatchObject({ expected: 'team-a/web', returned: 'kube-system/admin' });
      expect(lines.join('\n')).not.toContain(token);
      // EKS Auth answering for the token's own subject is served and cached.
      fake.state.subject = { namespace: 'team-a', serviceAccount: 'web' };
      expect((await ask(agent, token)).status).toBe(200);
      expect((await ask(agent, token)).status).toBe(200);
      expect(fake.state.calls).toBe(3);
    } finally {
      await agent.stop();
      fake.stop();
    }
  });
});

describe('one spelling per token', () => {
  test.each([
    ['claims mode', ['--verify-tokens=claims']],
    ['off', ['--verify-tokens=off']],
  ])(
    '%s: the 16 spellings of one token cost one EKS Auth call and all get the same credentials',
    async (_m, args) => {
      const agent = await startAgent(
        testConfig([`--endpoint=${emu.url}`, '--rate-limit-per-client=0', ...args]),
        {
          nodeCredentials,
          withoutSideListeners: true,
        },
      );
      try {
        emu.resetStats();
        const token = await emu.issueToken({ namespace: 'default', serviceAccount: 'app' });
        const variants = spellings(token);
        expect(variants).toHaveLength(16);
        // Non-canonical spellings first, concurrently, then all again.
        const ordered = [...variants.filter((v) => v !== token), token];
        const answers = await Promise.all(ordered.map((v) => ask(agent, v)));
        const again = await Promise.all(ordered.map((v) => ask(agent, v)));
        for (const a of [...answers, ...again]) expect(a.status).toBe(200);
        expect(new Set([...answers, ...again].map((a) => a.body.AccessKeyId)).size).toBe(1);
        expect(emu.stats().assumeRoleCalls).toBe(1);
        expect(agent.cache.size).toBe(1);
      } finally {
        await agent.stop();
      }
    },
  );
});

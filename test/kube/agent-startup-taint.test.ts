// The agent with --startup-taint: off by default; when on, the taint goes only once the data listeners serve
// (checked over HTTP at the moment the API server sees the agent's first call), an unbindable IPv6 bind host
// does not hold it back, and /readyz says what happened. Also the flag's parsing.
import { afterAll, describe, expect, test } from 'bun:test';
import { type Agent, type AgentDeps, startAgent } from '../../src/agent/agent.ts';
import { type Config, parseServerConfig, UsageError } from '../../src/config/server-config.ts';
import type { NodeTaint } from '../../src/emulator/kube-api/nodes-routes.ts';
import { createSilentLogger } from '../../src/observability/logger.ts';
import { testConfig } from '../helpers/agent-config.ts';
import { startKubeApiFixture } from '../helpers/kube-api.ts';
import { startStack } from '../helpers/stack.ts';

const NODE = 'ip-10-0-7-9.us-west-2.compute.internal';
const KEY = 'pod-identity-agent/not-ready';
const OTHER: NodeTaint = { key: 'karpenter.sh/unregistered', effect: 'NoExecute' };

const fixture = await startKubeApiFixture('agent-taint-');
const { kube, endpoint: kubeApi } = fixture;
const nodes = kube.nodes;
afterAll(() => fixture.stop());

/** What the agent's data listener answered when the API server received each node call. */
const listenerAtCall: { call: string; listener: number | string }[] = [];
let agentUrl = '';
nodes.setHook(async (method, name) => {
  let listener: number | string;
  try {
    listener = (await fetch(`${agentUrl}/`, { proxy: false })).status;
  } catch (err) {
    listener = (err as Error).name;
  }
  listenerAtCall.push({ call: `${method} ${name}`, listener });
});

const taints = () => (nodes.store.get(NODE)!['spec'] as { taints?: NodeTaint[] }).taints;

async function agentWithTaint(
  overrides: Partial<Config> = {},
  startupTaint?: AgentDeps['startupTaint'],
): Promise<Agent> {
  nodes.store.add(NODE, [{ key: KEY, effect: 'NoSchedule' }, OTHER]);
  // The flag's parsing (NODE_NAME, in-cluster variables) is tested below; here the parts come in directly.
  const config = testConfig([], {
    bindHosts: ['127.0.0.1'],
    startupTaint: { taint: { key: KEY }, nodeName: NODE },
    kubeApi,
    ...overrides,
  });
  // Static node credentials: readiness (which gates the taint) checks that they resolve, and the SDK chain
  // would otherwise look for IMDS.
  const agent = await startAgent(config, {
    logger: createSilentLogger(),
    withoutSideListeners: true,
    nodeCredentials: {
      accessKeyId: 'AKIAIOSFODNN7EXAMPLE',
      secretAccessKey: 'wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY',
    },
    startupTaint,
  });
  agentUrl = agent.url;
  return agent;
}

describe('off by default', () => {
  test('no flag: no remover, no API call, nothing in readiness', async () => {
    const stack = await startStack({ verify: false });
    try {
      const before = nodes.requests().length;
      expect(stack.agent.config.startupTaint).toBeUndefined();
      expect(stack.agent.startupTaint).toBeUndefined();
      const ready = await stack.agent.probes.readiness();
      expect(ready.ok).toBe(true);
      expect(ready.detail).not.toHaveProperty('startupTaint');
      expect(nodes.requests().length).toBe(before);
    } finally {
      await stack.stop();
    }
  });

  test('NODE_NAME and the in-cluster variables alone turn no taint removal on', () => {
    const c = parseServerConfig(['-c', 'x'], {
      AWS_REGION: 'us-west-2',
      NODE_NAME: NODE,
      KUBERNETES_SERVICE_HOST: '10.100.0.1',
      KUBERNETES_SERVICE_PORT: '443',
    });
    expect(c.startupTaint).toBeUndefined();
    // The API server is still found: by default the signing keys come from its /openid/v1/jwks (issue 12).
    expect(c.kubeApi?.baseUrl).toBe('https://10.100.0.1:443');
  });
});

describe('on', () => {
  test('the taint goes once the data listener serves; other taints stay; readiness says removed', async () => {
    listenerAtCall.length = 0;
    const agent = await agentWithTaint();
    try {
      const status = await agent.startupTaint!.start();
      expect(status).toMatchObject({ node: NODE, taint: KEY, state: 'removed', attempts: 1 });
      // At the API server's first sight of the agent, its listener already answered (404 on `/`).
      expect(listenerAtCall).toEqual([
        { call: `GET ${NODE}`, listener: 404 },
        { call: `PATCH ${NODE}`, listener: 404 },
      ]);
      expect(taints()).toEqual([OTHER]);
      const ready = await agent.probes.readiness();
      expect(ready.ok).toBe(true);
      expect(ready.detail!['startupTaint']).toMatchObject({ state: 'removed', node: NODE });
    } finally {
      await agent.stop();
    }
  });

  test('an IPv6 bind host that cannot be bound does not hold the taint back', async () => {
    // fd00:ec2::23 is not assigned on this machine: the agent serves 127.0.0.1 and retries IPv6 in the background.
    const agent = await agentWithTaint({ bindHosts: ['127.0.0.1', 'fd00:ec2::23'] });
    try {
      expect(agent.listeners.statuses().map((s) => s.bound)).toEqual([true, false]);
      expect((await agent.startupTaint!.start()).state).toBe('removed');
      expect(taints()).toEqual([OTHER]);
    } finally {
      await agent.stop();
    }
  });

  test('an agent that is not ready (cluster name unset) keeps the taint and never calls the API server', async () => {
    const before = nodes.requests().length;
    const sleeps: number[] = [];
    let thirdCheck = () => {};
    const checkedThrice = new Promise<void>((resolve) => {
      thirdCheck = resolve;
    });
    const agent = await agentWithTaint(
      { clusterName: '' },
      {
        // Each failed self-check waits here: the third wait holds until the agent stops.
        sleep: (ms, signal) => {
          sleeps.push(ms);
          if (sleeps.length < 3) return Promise.resolve();
          thirdCheck();
          return new Promise((resolve) => signal.addEventListener('abort', () => resolve(), { once: true }));
        },
      },
    );
    try {
      await checkedThrice;
      expect(sleeps).toEqual([1000, 1000, 1000]);
      expect(nodes.requests().length).toBe(before);
      const ready = await agent.probes.readiness();
      expect(ready.ok).toBe(false);
      expect(ready.detail!['startupTaint']).toMatchObject({ state: 'waiting', attempts: 0 });
      expect(taints()).toContainEqual({ key: KEY, effect: 'NoSchedule' });
    } finally {
      await agent.stop();
    }
    expect((await agent.startupTaint!.start()).state).toBe('waiting');
  });

  test('an API server that refuses does not make the agent unready; readiness names the failure', async () => {
    nodes.setFaults([{ status: 403, method: 'GET' }]);
    const agent = await agentWithTaint();
    try {
      expect((await agent.startupTaint!.start()).state).toBe('failed');
      const ready = await agent.probes.readiness();
      expect(ready.ok).toBe(true);
      expect(ready.detail!['startupTaint']).toMatchObject({
        state: 'failed',
        lastError: { status: 403, reason: 'Forbidden' },
      });
    } finally {
      nodes.setFaults([]);
      await agent.stop();
    }
  });
});

describe('--startup-taint parsing', () => {
  const ENV = {
    AWS_REGION: 'us-west-2',
    NODE_NAME: NODE,
    KUBERNETES_SERVICE_HOST: '10.100.0.1',
    KUBERNETES_SERVICE_PORT: '443',
  };
  const parse = (value: string, env: Record<string, string | undefined> = ENV) =>
    parseServerConfig(['-c', 'x', `--startup-taint=${value}`], env);
  const error = (value: string, env: Record<string, string | undefined> = ENV) => {
    try {
      parse(value, env);
    } catch (err) {
      expect(err).toBeInstanceOf(UsageError);
      return (err as Error).message;
    }
    throw new Error('expected a UsageError');
  };

  test('KEY and KEY:EFFECT, the node name and the in-cluster API server', () => {
    expect(parse(KEY).startupTaint).toEqual({ taint: { key: KEY }, nodeName: NODE });
    expect(parse(`${KEY}:NoExecute`).startupTaint!.taint).toEqual({ key: KEY, effect: 'NoExecute' });
    expect(parse('agent-not-ready').kubeApi).toEqual({
      baseUrl: 'https://10.100.0.1:443',
      tokenFile: '/var/run/secrets/kubernetes.io/serviceaccount/token',
      caFile: '/var/run/secrets/kubernetes.io/serviceaccount/ca.crt',
    });
    expect(parse(KEY, { ...ENV, KUBERNETES_SERVICE_HOST: 'fd00:10:96::1' }).kubeApi!.baseUrl).toBe(
      'https://[fd00:10:96::1]:443',
    );
  });

  test('an empty value is off (a manifest may pass $(STARTUP_TAINT) unset)', () => {
    expect(parse('').startupTaint).toBeUndefined();
  });

  test.each([
    ['bad key/with/slashes', 'expected a taint key'],
    [`${KEY}=true:NoSchedule`, 'expected a taint key'],
    [`${KEY}:NoScheduleX`, 'the effect must be one of NoSchedule, PreferNoSchedule, NoExecute'],
    ['-leading-dash', 'expected a taint key'],
    [`${'a'.repeat(64)}`, 'expected a taint key'],
  ])('%s is refused', (value, message) => {
    expect(error(value)).toContain(message);
  });

  test('needs NODE_NAME and the in-cluster variables, each said plainly', () => {
    expect(error(KEY, { ...ENV, NODE_NAME: undefined })).toBe(
      '--startup-taint needs the node name in NODE_NAME (env valueFrom fieldRef spec.nodeName)',
    );
    expect(error(KEY, { ...ENV, NODE_NAME: 'Not_A_Node' })).toContain('for NODE_NAME: expected a node name');
    expect(error(KEY, { ...ENV, KUBERNETES_SERVICE_HOST: undefined })).toContain(
      'KUBERNETES_SERVICE_HOST and KUBERNETES_SERVICE_PORT are unset',
    );
    expect(error(KEY, { ...ENV, KUBERNETES_SERVICE_PORT: '99999' })).toContain('KUBERNETES_SERVICE_PORT');
  });
});

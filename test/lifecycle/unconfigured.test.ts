// An unedited install (empty CLUSTER_NAME and AWS_REGION in the shipped ConfigMap) starts, stays unready, and
// says what to set: in /readyz, in its log, and in every credentials answer. Nothing is sent to EKS Auth.
import { afterAll, beforeAll, expect, test } from 'bun:test';
import { type Agent, startAgent } from '../../src/agent/agent.ts';
import { parseServerConfig } from '../../src/config/server-config.ts';
import { createLogger } from '../../src/observability/logger.ts';
import { unsignedToken } from '../helpers/tokens.ts';

const EXPECTED =
  'not configured: CLUSTER_NAME (--cluster-name) and AWS_REGION are empty; set them in ConfigMap ' +
  'kube-system/eks-pod-identity-agent-config (or in your kustomize overlay) and restart the pods';
const lines: string[] = [];
let agent: Agent;

beforeAll(async () => {
  // The manifests' argument form with the ConfigMap's empty values expanded by kubelet.
  const parsed = parseServerConfig(['--cluster-name=', '--bind-hosts=127.0.0.1', '--token-issuer='], {
    AWS_REGION: '',
  });
  const config = Object.freeze({
    ...parsed,
    port: 0,
    probePort: 0,
    metricsPort: 0,
    probeAddress: '127.0.0.1',
    metricsAddress: '127.0.0.1',
    // As in testConfig: the real --helper-thread-nice would lower the test runner's threads for the rest of its run.
    helperThreadNice: 0,
  });
  const logger = createLogger('info', { write: (line: string) => lines.push(line) });
  agent = await startAgent(config, { logger });
});
afterAll(() => agent.stop());

test('readiness fails naming both settings; liveness passes (a restart would not help)', async () => {
  const ready = await fetch(`${agent.probeServer!.url}/readyz`);
  expect(ready.status).toBe(503);
  expect(((await ready.json()) as { error: string }).error).toBe(EXPECTED);
  expect((await fetch(`${agent.probeServer!.url}/healthz`)).status).toBe(200);
});

test('the start log says it once at error level', () => {
  const errors = lines
    .map((l) => JSON.parse(l) as { level: string; msg: string })
    .filter((l) => ['error', 'fatal'].includes(l.level));
  expect(errors.map((l) => l.msg)).toEqual([EXPECTED]);
});

test('a pod asking for credentials gets a retryable 503 NotConfigured with the same text', async () => {
  const token = unsignedToken({ expSeconds: Math.floor(Date.now() / 1000) + 3600 });
  const res = await fetch(`${agent.url}/v1/credentials`, {
    headers: { host: new URL(agent.url).host, authorization: token },
  });
  expect(res.status).toBe(503);
  expect(await res.json()).toEqual({
    code: 'NotConfigured',
    message: EXPECTED,
    Code: 'NotConfigured',
    Message: EXPECTED,
  });
});

// Answers from whatever stands where EKS Auth should be, chosen to hurt: credentials that expire at absurd
// times are refused once, at the boundary (a retryable 502 UpstreamMalformedResponse, never a 500 with a
// RangeError, never an Expiration no SDK parses); a huge request id is cut before it is logged.
import { afterAll, beforeAll, expect, test } from 'bun:test';
import { type Agent, startAgent } from '../../src/agent/agent.ts';
import { MAX_REQUEST_ID_CHARS } from '../../src/eks-auth/classify-error.ts';
import { testConfig } from '../helpers/agent-config.ts';
import {
  assumeRoleBody,
  type ScriptedUpstream,
  startScriptedUpstream,
} from '../helpers/scripted-upstream.ts';
import { unsignedToken } from '../helpers/tokens.ts';
import { createCapturingLogger } from './fault-stack.ts';

/** RFC 3339 in UTC with a literal Z and a four-digit year: what JS v3 and Rust accept. */
const SDK_EXPIRATION = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z$/;

let upstream: ScriptedUpstream;
let agent: Agent;
const { logger, lines } = createCapturingLogger();

beforeAll(async () => {
  upstream = startScriptedUpstream({ status: 200, body: assumeRoleBody(0) });
  agent = await startAgent(
    testConfig([`--endpoint=${upstream.url}`, '--rate-limit-per-client=0', '--verify-tokens=claims']),
    {
      logger,
      nodeCredentials: { accessKeyId: 'AKIDEXAMPLE', secretAccessKey: 'secret' },
      withoutSideListeners: true,
    },
  );
});
afterAll(async () => {
  await agent.stop();
  await upstream.stop();
});

async function get(token: string) {
  const res = await fetch(`${agent.url}/v1/credentials`, {
    headers: { host: new URL(agent.url).host, authorization: token },
  });
  return { status: res.status, body: (await res.json()) as Record<string, string> };
}

test.each([
  ['past the range of Date (8.64e12 s + 1)', 8.64e12 + 1],
  ['year 33658 (1e12 s)', 1e12],
  ['local time (no offset)', '2030-01-01T00:00:00'],
  ['a number in a string', '1764331200'],
])('expiration %s -> 502 UpstreamMalformedResponse, nothing cached', async (_name, expiration) => {
  upstream.answer = { status: 200, body: assumeRoleBody(expiration) };
  const view = await get(podToken(`p-${String(expiration)}`));
  expect(view.status).toBe(502);
  expect(view.body.code).toBe('UpstreamMalformedResponse');
  expect(view.body.message).toContain('credentials.expiration');
  expect(agent.cache.size).toBe(0);
  expect(lines.join('\n')).not.toContain('RangeError');
  expect(lines.join('\n')).not.toContain('InternalError');
});

test('an expiration with an offset is served as RFC 3339 UTC with Z', async () => {
  const inTwoHours = new Date(Date.now() + 2 * 3600_000);
  const offset = new Date(inTwoHours.getTime() + 2 * 3600_000).toISOString().slice(0, 19);
  upstream.answer = { status: 200, body: assumeRoleBody(`${offset}+02:00`) };
  const view = await get(podToken('offset'));
  expect(view.status).toBe(200);
  expect(view.body.Expiration).toMatch(SDK_EXPIRATION);
  expect(Date.parse(view.body.Expiration!)).toBe(Math.floor(inTwoHours.getTime() / 1000) * 1000);
});

function podToken(podName: string): string {
  return unsignedToken({ expSeconds: Math.floor(Date.now() / 1000) + 3600, podName });
}

test('an 8 KB request id on a failed attempt is logged cut to a bounded plain value', async () => {
  const hugeId = 'R'.repeat(8 * 1024);
  upstream.answer = {
    status: 500,
    headers: { 'x-amzn-requestid': hugeId, 'x-amzn-errortype': 'InternalServerException' },
    body: '{"message":"boom"}',
  };
  const before = lines.length;
  const view = await get(podToken('request-id'));
  expect(view.status).toBe(502);
  const attempts = lines.slice(before).filter((l) => l.includes('AssumeRoleForPodIdentity failed'));
  expect(attempts.length).toBeGreaterThan(0);
  for (const line of attempts) {
    const requestId = (JSON.parse(line) as { requestId?: string }).requestId;
    expect(requestId).toBe('R'.repeat(MAX_REQUEST_ID_CHARS));
    expect(line.length).toBeLessThan(1024);
  }
});

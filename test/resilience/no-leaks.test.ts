// No secret leaves the agent except in a 200 body: after a mix of successes, every error class, an outage,
// throttling and bad tokens, with the agent logging at trace, no token, secret access key or session token
// (nor the node's own secret key) appears in any log line, error body or the /metrics exposition.
import { afterAll, beforeAll, expect, test } from 'bun:test';
import { DEFAULT_SECRET_ACCESS_KEY } from '../../src/emulator/index.ts';
import { FAIL_WITH_CODES } from '../../src/emulator/input-validation.ts';
import { secretFragments } from '../fuzz/guards.ts';
import { createCapturingLogger, type FaultStack, startFaultStack } from './fault-stack.ts';

let s: FaultStack;
const capture = createCapturingLogger();
const tokens: string[] = [];
const credentialSecrets: string[] = [];
const errorBodies: string[] = [];

beforeAll(async () => {
  s = await startFaultStack(['--client-patience=300ms', '--audit-log'], { deps: { logger: capture.logger } });
});
afterAll(() => s.stop());

async function ask(token: string): Promise<number> {
  tokens.push(token);
  const view = await s.get(token);
  if (view.status === 200) credentialSecrets.push(view.body.SecretAccessKey!, view.body.Token!);
  else errorBodies.push(view.text);
  return view.status;
}

/** Every failure the emulator can inject: the nine modelled errors, two auth errors, two non-modelled. */
const FAULTS = FAIL_WITH_CODES;

test('scenario mix: successes, every upstream error class, outages, throttling, bad tokens', async () => {
  // Successes, hits, and a renewal after the fresh window.
  const served = await s.token();
  expect(await ask(served)).toBe(200);
  expect(await ask(served)).toBe(200);
  for (let i = 0; i < 3; i++) expect(await ask(await s.token())).toBe(200);

  for (const failWith of FAULTS) {
    s.emulator.setFaults({ failWith });
    expect(await ask(await s.token())).toBeGreaterThanOrEqual(400);
    await s.settle();
  }
  s.emulator.setFaults({ outage: true });
  expect(await ask(await s.token())).toBe(503);
  s.emulator.setFaults({ outage: 'hang' });
  expect(await ask(await s.token())).toBe(503);
  s.emulator.setFaults({ maxTps: 1 });
  await Promise.all(Array.from({ length: 5 }, async () => ask(await s.token())));
  s.emulator.resetFaults();
  await s.settle();

  // A renewal through the refresher, with logs of the refresh path.
  s.clock.advance(4 * 3600_000);
  await s.agent.refresher.tick();

  // Bad tokens: truncated, re-signed, expired, foreign Host.
  const genuine = await s.token();
  const [h, p, sig] = genuine.split('.');
  for (const bad of [
    genuine.slice(0, -5),
    `${h}.${p}.${sig!.slice(0, -8)}AAAAAAAA`,
    `${h}.${p}.`,
    `${p}.${h}.${sig}`,
  ]) {
    expect(await ask(bad)).toBeGreaterThanOrEqual(400);
  }
  const expired = await s.emulator.issueToken({
    namespace: 'default',
    serviceAccount: 'app',
    ttlSeconds: 60,
    issuedAtOffsetSeconds: -3600,
  });
  expect(await ask(expired)).toBe(400);
  tokens.push(genuine);
  const foreign = await fetch(s.credentialsUrl, {
    headers: { host: 'evil.example', authorization: genuine },
  });
  errorBodies.push(await foreign.text());
  expect(foreign.status).toBe(403);
  await s.settle();
  expect(credentialSecrets.length).toBeGreaterThanOrEqual(10);
  expect(errorBodies.length).toBeGreaterThanOrEqual(20);
}, 30_000);

test('no token, secret key or session token in any log line, error body or metric', async () => {
  await s.settle();
  const metrics = await s.agent.metrics.registry.metrics();
  const logs = capture.lines.join('');
  // The logs cover the paths that handle secrets: upstream attempts, failures, audit lines, refreshes.
  for (const expected of [
    'AssumeRoleForPodIdentity succeeded',
    'ThrottlingException',
    '"audit":true',
    'InvalidToken',
  ]) {
    expect(logs).toContain(expected);
  }
  const secrets = [...tokens.flatMap(secretFragments), ...credentialSecrets, DEFAULT_SECRET_ACCESS_KEY];
  const places = { logs, metrics, errorBodies: errorBodies.join('\n') };
  const leaks: string[] = [];
  for (const [where, text] of Object.entries(places)) {
    for (const secret of secrets) {
      if (text.includes(secret)) leaks.push(`${where} contains ${secret.length} secret characters`);
    }
  }
  expect(leaks).toEqual([]);
});

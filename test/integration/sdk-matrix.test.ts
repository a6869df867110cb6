// The fast subset of the SDK compatibility matrix (bench/sdk-matrix, `npm run bench:sdk` for all of it):
// every real client that runs here and every client model, against a running agent with default flags and
// the EKS Auth emulator, in the success scenario and with a bad token.
import { afterAll, beforeAll, describe, expect, test } from 'bun:test';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type CellResult, type MatrixEnv, runCell, startMatrixEnv } from '../../bench/sdk-matrix/cell.ts';
import { goBinary } from '../../bench/sdk-matrix/clients/go-binary.ts';
import { podAddress } from '../../bench/sdk-matrix/clients/job.ts';
import { ROWS, type Row, rowById } from '../../bench/sdk-matrix/rows.ts';
import { scenarioById } from '../../bench/sdk-matrix/scenarios.ts';

let env: MatrixEnv;
const name = (row: Row) => (row.kind === 'real' ? `${row.label} (real SDK)` : row.label);
const badToken = new Map<string, CellResult>();

beforeAll(async () => {
  // The Go clients are compiled once (cached in the temp dir by source hash); Ruby and botocore must be installed.
  for (const [cmd, what] of [
    [['ruby', '-e', 'require "aws-sdk-core"'], 'ruby-aws-sdk-core'],
    [['python3', '-c', 'import botocore'], 'python3 botocore'],
  ] as const) {
    expect(Bun.spawnSync([...cmd]).exitCode, `${what} is required (see .ci/run)`).toBe(0);
  }
  await goBinary();
  env = await startMatrixEnv();
  // The bad-token cells are independent (each its own token) and mostly wait in the clients' retry sleeps
  // (Ruby's ECSCredentials sleeps ~22 s), so they run side by side; their EKS Auth counts overlap, so each
  // cell's count is the sum of all of them (it must be 0: the agent refuses a forged signature itself).
  const scenario = scenarioById('bad-token');
  const cells = await Promise.all(ROWS.map((row) => runCell(env, row, scenario)));
  for (const c of cells) badToken.set(c.row, c);
}, 120_000);

afterAll(() => env?.stop());

describe('SDK matrix: every client gets credentials from the agent', () => {
  for (const row of ROWS) {
    test(`${name(row)}: got credentials, one EKS Auth call`, async () => {
      const cell = await runCell(env, row, scenarioById('success'));
      expect(cell.errors).toEqual([]);
      expect(cell.served).toBe(1);
      expect(cell.calls).toBe(1);
    }, 30_000);
  }
});

describe('SDK matrix: a bad token fails cleanly, with the error surfaced as far as the SDK passes it on', () => {
  for (const row of ROWS) {
    test(`${name(row)}: no credentials, a clear error`, () => {
      const cell = badToken.get(row.id)!;
      expect(cell.served).toBe(0);
      expect(cell.errors).toHaveLength(1);
      const error = cell.errors[0]!.error;
      // The agent verifies signatures (as on a node): its verdict on a forged one (the body's code, or its
      // message for Java, which reads only that) reaches the pod's code where its SDK reads the body, and no
      // EKS Auth call is spent on it.
      if (row.surfaces === 'code') expect(error).toMatch(/TokenRejected|token signature is invalid/);
      if (row.surfaces === 'status') expect(error).toContain('403');
      expect(error).not.toContain('not-the-issuer-signature');
      expect(badToken.get(row.id)!.calls).toBe(0);
    });
  }
});

describe('SDK matrix: what issue 11 asks of the miss path, with real clients', () => {
  test('EKS Auth answering in 1.5 s: JS v3, botocore and a PHP-style client get credentials, one call each', async () => {
    for (const id of ['js-v3-from-http', 'botocore', 'php']) {
      const cell = await runCell(env, rowById(id), scenarioById('slow-1500'));
      expect({ id, errors: cell.errors, served: cell.served, calls: cell.calls }).toEqual({
        id,
        errors: [],
        served: 1,
        calls: 1,
      });
    }
  }, 60_000);

  test('300 concurrent requests with one token from one address: 300 x credentials, 1 EKS Auth call', async () => {
    // Java v2 and PHP do not retry 429: a limiter that refused joiners of the flight would fail them.
    for (const id of ['java-v2', 'php']) {
      const cell = await runCell(env, rowById(id), scenarioById('one-token-300'));
      expect({ id, served: cell.served, calls: cell.calls }).toEqual({ id, served: 300, calls: 1 });
    }
  }, 60_000);

  test('60 pods start beside a junk flooder while EKS Auth takes 600 ms: a 1 s one-shot client (Ruby chain) gets 60/60', async () => {
    // Every pod's call must be in flight at once: a concurrency bound below a node's pod count queues the
    // rest behind the agent's own slots, past the only attempt of a client with a 1 s read and no retry.
    const cell = await runCell(env, rowById('ruby-chain'), scenarioById('flood-60-slow'));
    expect({ served: cell.served, calls: cell.calls }).toEqual({ served: 60, calls: 60 });
    // The forged flood tokens are refused by the verifying agent itself: no EKS Auth call, no credentials.
    expect(cell.flood).toEqual({ 403: expect.any(Number) });
  }, 60_000);

  test('a pod with no association, asked by botocore then JS v3: at most 2 EKS Auth calls', async () => {
    await env.emulator.resetFaults();
    await env.emulator.setAssociations([
      { namespace: 'bench', serviceAccount: 'someone-else', roleArn: 'arn:aws:iam::111122223333:role/x' },
    ]);
    try {
      const tokens = await env.emulator.issueTokens(1, { prefix: 'orphan-twice' });
      const tokenFiles = [join(mkdtempSync(join(tmpdir(), 'pia-orphan-')), 'token')];
      writeFileSync(tokenFiles[0]!, tokens[0]!);
      const job = { url: env.agent.credentialsUrl, tokens, tokenFiles, addresses: [podAddress(0)] };
      const before = (await env.emulator.stats()).assumeRoleCalls;
      const botocore = await rowById('botocore').run(job);
      const jsV3 = await rowById('js-v3-from-http').run(job);
      expect([botocore[0]!.ok, jsV3[0]!.ok]).toEqual([false, false]);
      expect(jsV3[0]!.error).toContain('ResourceNotFound');
      // botocore makes 3 requests and JS v3 4: the failure is remembered, not asked again each time.
      expect((await env.emulator.stats()).assumeRoleCalls - before).toBeLessThanOrEqual(2);
    } finally {
      await env.emulator.resetAssociations();
    }
  }, 60_000);
});

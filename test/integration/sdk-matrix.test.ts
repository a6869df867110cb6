// The fast subset of the SDK compatibility matrix (bench/sdk-matrix, `npm run bench:sdk` for all of it):
// every real client that runs here and every client model, against a running agent with default flags and
// the EKS Auth emulator, in the success scenario and with a bad token.
import { afterAll, beforeAll, describe, expect, test } from 'bun:test';
import { type CellResult, type MatrixEnv, runCell, startMatrixEnv } from '../../bench/sdk-matrix/cell.ts';
import { goBinary } from '../../bench/sdk-matrix/clients/go-binary.ts';
import { ROWS, type Row } from '../../bench/sdk-matrix/rows.ts';
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
  // (Ruby's ECSCredentials sleeps ~22 s), so they run side by side; their EKS Auth counts overlap and are
  // not asserted here (the bench runs each cell alone).
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
      // EKS Auth's verdict on a forged signature reaches the pod's code where its SDK reads the body.
      if (row.surfaces === 'code') expect(error).toContain('InvalidToken');
      if (row.surfaces === 'status') expect(error).toContain('400');
      expect(error).not.toContain('not-the-issuer-signature');
    });
  }
});

// Every row of the SDK matrix sends each pod's requests from that pod's own source address, as pods on a node
// do: the agent's fair queue and rate limiter key clients by it, so a cell whose pods all came from 127.0.0.1
// would measure one client, not a node. Checked against a loopback server that records the address each
// token came from, with the real SDKs' drivers and the client models.
import { afterAll, beforeAll, describe, expect, test } from 'bun:test';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { podAddress } from '../../bench/sdk-matrix/clients/job.ts';
import { ROWS } from '../../bench/sdk-matrix/rows.ts';

const PODS = 3;
let server: ReturnType<typeof Bun.serve>;
let dir: string;
/** Source addresses each Authorization token was seen from. */
const seen = new Map<string, Set<string>>();

beforeAll(() => {
  server = Bun.serve({
    port: 0,
    hostname: '127.0.0.1',
    fetch(req, srv) {
      const token = req.headers.get('authorization') ?? '';
      const from = srv.requestIP(req)?.address ?? '?';
      if (!seen.has(token)) seen.set(token, new Set());
      seen.get(token)!.add(from);
      return Response.json({
        AccessKeyId: 'ASIAEXAMPLEEXAMPLE00',
        SecretAccessKey: 'secret-secret-secret-secret',
        Token: 'session-token-session-token',
        AccountId: '111122223333',
        Expiration: new Date(Date.now() + 6 * 3600_000).toISOString().replace(/\.\d+Z$/, 'Z'),
      });
    },
  });
  dir = mkdtempSync(join(tmpdir(), 'pia-sdk-addresses-'));
});
afterAll(() => {
  server.stop(true);
  rmSync(dir, { recursive: true, force: true });
});

describe('SDK matrix rows send from each pod’s own address', () => {
  for (const row of ROWS) {
    test(`${row.label}: pod i's requests come from podAddress(i)`, async () => {
      const tokens = Array.from({ length: PODS }, (_, i) => `${row.id}.pod.${i}`);
      const tokenFiles = tokens.map((t, i) => {
        const path = join(dir, `${row.id}-${i}`);
        writeFileSync(path, t);
        return path;
      });
      const addresses = tokens.map((_, i) => podAddress(i));
      const url = `http://127.0.0.1:${server.port}/v1/credentials`;
      const outcomes = await row.run({ url, tokens, tokenFiles, addresses });
      expect(outcomes.map((o) => o.ok)).toEqual(tokens.map(() => true));
      expect(tokens.map((t) => [...(seen.get(t) ?? [])])).toEqual(addresses.map((a) => [a]));
    }, 60_000);
  }
});

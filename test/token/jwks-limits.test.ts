// Key-set bounds that must not fail silently: keys past MAX_JWKS_KEYS are ignored with a warning, and a
// token whose kid several keys share is checked against each of them, not only the first four.
import { afterAll, expect, test } from 'bun:test';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createManualClock } from '../../src/clock.ts';
import { createLogger } from '../../src/observability/logger.ts';
import { createMetrics } from '../../src/observability/metrics.ts';
import { createKeySource } from '../../src/token/jwks.ts';
import { MAX_JWKS_KEYS } from '../../src/token/jwks-loader.ts';
import { createTokenVerifier } from '../../src/token/token-verifier.ts';
import { createIssuerKey, startLocalIssuer } from './local-issuer.ts';

const dir = mkdtempSync(join(tmpdir(), 'pia-jwks-limits-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function capturingLogger() {
  const lines: Record<string, unknown>[] = [];
  const logger = createLogger('info', {
    write(chunk: string) {
      lines.push(JSON.parse(chunk) as Record<string, unknown>);
    },
  });
  return { logger, lines };
}

test(`a key set with more than ${MAX_JWKS_KEYS} signing keys: the rest ignored, with a warning`, async () => {
  const key = await createIssuerKey('k');
  const keys = Array.from({ length: MAX_JWKS_KEYS + 6 }, (_, i) => ({ ...key.publicJwk, kid: `k-${i}` }));
  const file = join(dir, 'many.json');
  writeFileSync(file, JSON.stringify({ keys }));
  const { logger, lines } = capturingLogger();
  const source = createKeySource({ jwksFile: file, logger });
  await source.start();
  source.close();
  expect(source.current()?.keys.length).toBe(MAX_JWKS_KEYS);
  const warning = lines.find((l) => l['level'] === 'warn' && l['ignored'] !== undefined);
  expect(warning).toMatchObject({ ignored: 6, keys: MAX_JWKS_KEYS, maxKeys: MAX_JWKS_KEYS });
});

test('six keys under one kid: a token signed by the sixth verifies', async () => {
  const keys = await Promise.all(Array.from({ length: 6 }, () => createIssuerKey('shared')));
  const issuer = await startLocalIssuer(keys);
  const clock = createManualClock();
  const source = createKeySource({ tokenIssuer: issuer.url, clock, logger: capturingLogger().logger });
  await source.start();
  const verifier = createTokenVerifier({
    keySource: source,
    issuer: issuer.url,
    workers: 0,
    clock,
    metrics: createMetrics(),
  });
  try {
    const token = await issuer.sign({ key: keys[5]!, nowSeconds: Math.floor(clock.now() / 1000) });
    expect((await verifier.verify(token)).podName).toBe('app-7d4f');
  } finally {
    await verifier.close();
    source.close();
    issuer.stop();
  }
});

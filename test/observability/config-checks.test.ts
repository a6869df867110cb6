// Readiness reasons for configurations that cannot work, and none for a bad day.
import { describe, expect, test } from 'bun:test';
import { createManualClock } from '../../src/clock.ts';
import { EksAuthError } from '../../src/eks-auth/errors.ts';
import { createConfigChecks } from '../../src/observability/config-checks.ts';
import { createSilentLogger } from '../../src/observability/logger.ts';
import { createMetrics } from '../../src/observability/metrics.ts';
import { createVerification } from '../../src/token/verification.ts';
import { testConfig } from '../helpers/agent-config.ts';

const ok = async () => ({ accessKeyId: 'AKID', secretAccessKey: 'secret' });
const settle = () => new Promise((r) => setTimeout(r, 0));

function checks(args: string[], nodeCredentials = ok, overrides = {}) {
  const clock = createManualClock();
  const config = testConfig(args, overrides);
  const verification = createVerification(config, {
    clock,
    logger: createSilentLogger(),
    metrics: createMetrics(),
  });
  const c = createConfigChecks({ config, nodeCredentials, verification, clock });
  c.start();
  return { c, clock, verification };
}

describe('config checks', () => {
  test('a working configuration is ready, with the region and verification mode in the detail', async () => {
    const { c } = checks([]);
    await settle();
    expect(c.check()).toEqual({
      ok: true,
      detail: { region: 'us-west-2', verification: { mode: 'claims' } },
    });
  });

  test('node credentials that cannot be resolved: not ready, with the reason; re-checked later', async () => {
    let fail = true;
    const provider = async () => {
      if (fail) {
        throw new EksAuthError(
          'NodeCredentialsUnavailable',
          'node AWS credentials unavailable: Could not load credentials from any providers',
          {
            kind: 'credentials',
            retryable: true,
          },
        );
      }
      return ok();
    };
    const { c, clock } = checks([], provider);
    expect(c.check().detail?.reasons).toEqual(['node AWS credentials are still being resolved']);
    await settle();
    const result = c.check();
    expect(result.ok).toBe(false);
    expect(result.detail?.reasons).toEqual([
      'node AWS credentials unavailable: Could not load credentials from any providers',
    ]);
    fail = false;
    clock.advance(10_000);
    c.check();
    await settle();
    expect(c.check().ok).toBe(true);
  });

  test.each([
    ['xx-nowhere-1', false],
    ['us-east-1', true],
    ['cn-north-1', true],
    ['us-gov-west-1', true],
    ['us-iso-east-1', true],
  ])('region %s without --endpoint: ready %p', async (region, ready) => {
    const { c } = checks([], ok, { region });
    await settle();
    const result = c.check();
    expect(result.ok).toBe(ready);
    if (!ready) {
      expect(result.detail?.reasons).toEqual([
        `region ${region} is in no AWS partition the endpoint resolver knows: set --endpoint`,
      ]);
    }
  });

  test('an unknown region with --endpoint is fine', async () => {
    const { c } = checks(['--endpoint=https://eks-auth.vpce.example'], ok, { region: 'xx-nowhere-1' });
    await settle();
    expect(c.check().ok).toBe(true);
  });

  test('a key source that never loads: ready (claims mode) within the grace, then not ready with a reason', async () => {
    const { c, clock, verification } = checks([
      '--jwks-url=http://127.0.0.1:1/jwks',
      '--key-source-grace=2m',
    ]);
    await verification.keySource!.start();
    await settle();
    const during = c.check();
    expect(during.ok).toBe(true);
    expect(during.detail?.verification).toMatchObject({
      mode: 'claims',
      keySource: 'url',
      keysLoaded: false,
    });
    clock.advance(120_000);
    const after = c.check();
    expect(after.ok).toBe(false);
    expect(after.detail?.reasons).toEqual([
      'token signing keys have not loaded from url http://127.0.0.1:1/jwks within 120 s: JWKS endpoint is unreachable (serving in claims mode meanwhile)',
    ]);
    await verification.close();
  });
});

// The token stage: the verification mode is chosen when the checker is built; each mode returns the cache
// key, the token's expiry, the pod and the subject EKS Auth must answer for.
import { describe, expect, test } from 'bun:test';
import { createManualClock } from '../../src/clock.ts';
import { AgentError } from '../../src/errors.ts';
import { createTokenChecker } from '../../src/token/token-checker.ts';
import type { TokenVerifier } from '../../src/token/types.ts';
import { unsignedToken } from '../helpers/tokens.ts';

function verifier(opts: { ready: () => boolean }): TokenVerifier & { verified: number; asked: number } {
  const v = {
    verified: 0,
    asked: 0,
    canVerify: opts.ready,
    requestKeys() {
      v.asked += 1;
    },
    async verify(token: string) {
      v.verified += 1;
      if (token === 'forged') throw new AgentError('TokenRejected', 'bad signature');
      return { namespace: 'ns', serviceAccount: 'sa', podName: 'pod', podUid: 'uid', exp: 2_000_000_000 };
    },
    async close() {},
  };
  return v;
}

describe('token checker', () => {
  const clock = createManualClock();
  const exp = Math.floor(clock.now() / 1000) + 3600;
  const token = unsignedToken({ expSeconds: exp, namespace: 'ns', serviceAccount: 'sa' });

  test('off: the token is only a cache key; nothing is read from it', async () => {
    const checker = createTokenChecker({ mode: 'off', clock });
    expect(await checker.check('not even a JWT')).toEqual({
      key: 'not even a JWT',
      expiresAtMs: Number.POSITIVE_INFINITY,
      pod: undefined,
      subject: undefined,
    });
  });

  test('claims: keyed by the exact token, expiry and subject from its claims; bad tokens refused', async () => {
    const checker = createTokenChecker({ mode: 'claims', clock });
    expect(await checker.check(token)).toEqual({
      key: token,
      expiresAtMs: exp * 1000,
      pod: undefined,
      subject: 'ns/sa',
    });
    await expect(checker.check('abc')).rejects.toMatchObject({ code: 'InvalidToken' });
  });

  test('signature: keyed by the verified pod; claims mode (asking for keys) until keys load', async () => {
    let ready = false;
    const v = verifier({ ready: () => ready });
    let firstVerified = 0;
    const checker = createTokenChecker({
      mode: 'signature',
      verifier: v,
      clock,
      onFirstVerified: async () => {
        firstVerified += 1;
      },
    });
    expect((await checker.check(token)).key).toBe(token);
    expect([v.verified, v.asked, firstVerified]).toEqual([0, 1, 0]);
    ready = true;
    // A forged token is refused before the re-keying hook runs.
    await expect(checker.check('forged')).rejects.toMatchObject({ code: 'TokenRejected' });
    expect(firstVerified).toBe(0);
    expect(await checker.check(token)).toEqual({
      key: 'ns/sa/uid',
      expiresAtMs: 2_000_000_000_000,
      pod: 'pod',
      subject: 'ns/sa',
    });
    await checker.check(token);
    expect([v.verified, firstVerified]).toEqual([3, 1]);
  });

  test('signature with keys from the start: the hook never runs', async () => {
    let hooked = false;
    const checker = createTokenChecker({
      mode: 'signature',
      verifier: verifier({ ready: () => true }),
      clock,
      onFirstVerified: async () => {
        hooked = true;
      },
    });
    expect((await checker.check(token)).key).toBe('ns/sa/uid');
    expect(hooked).toBe(false);
  });
});

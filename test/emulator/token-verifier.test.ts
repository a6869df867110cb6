// Token verifier checks that need a second key or issuer: only the emulator's own issuer is trusted.
import { expect, test } from 'bun:test';
import { createManualClock } from '../../src/clock.ts';
import { AwsError } from '../../src/emulator/aws-error.ts';
import { createTokenIssuer } from '../../src/emulator/token-issuer.ts';
import { createTokenVerifier } from '../../src/emulator/token-verifier.ts';

const clock = createManualClock();
const req = { namespace: 'default', serviceAccount: 'app' };

function failure(fn: () => unknown): AwsError {
  try {
    fn();
  } catch (err) {
    if (err instanceof AwsError) return err;
    throw err;
  }
  throw new Error('expected an AwsError');
}

test('same key, another issuer: refused by the iss check', async () => {
  const other = await createTokenIssuer({ issuer: 'http://127.0.0.1:1', clock });
  const verify = createTokenVerifier({
    issuer: 'http://127.0.0.1:2',
    kid: other.kid,
    publicKey: other.publicKey,
  });
  const err = failure(() => verify(other.issue(req), clock.now()));
  expect(err.code).toBe('InvalidTokenException');
  expect(err.message).toContain('issuer');
});

test('a token from another emulator instance is refused; its own tokens pass', async () => {
  const mine = await createTokenIssuer({ issuer: 'http://127.0.0.1:3', clock });
  const theirs = await createTokenIssuer({ issuer: 'http://127.0.0.1:3', clock });
  const verify = createTokenVerifier({ issuer: mine.issuer, kid: mine.kid, publicKey: mine.publicKey });
  expect(failure(() => verify(theirs.issue(req), clock.now())).code).toBe('InvalidTokenException');
  expect(verify(mine.issue({ ...req, podName: 'p', podUid: 'u' }), clock.now())).toEqual({
    namespace: 'default',
    serviceAccount: 'app',
    podName: 'p',
    podUid: 'u',
  });
});

test('exp is checked against the injected clock, exactly at the boundary', async () => {
  const issuer = await createTokenIssuer({ issuer: 'http://127.0.0.1:4', clock });
  const verify = createTokenVerifier({ issuer: issuer.issuer, kid: issuer.kid, publicKey: issuer.publicKey });
  const token = issuer.issue({ ...req, ttlSeconds: 60 });
  const issuedAt = Math.floor(clock.now() / 1000) * 1000;
  expect(verify(token, issuedAt + 59_999).namespace).toBe('default');
  expect(failure(() => verify(token, issuedAt + 60_000)).code).toBe('ExpiredTokenException');
});

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
  const verify = createTokenVerifier({ issuer: 'http://127.0.0.1:2', publicKeyFor: other.publicKeyFor });
  const err = failure(() => verify(other.issue(req), clock.now()));
  expect(err.code).toBe('InvalidTokenException');
  expect(err.message).toContain('issuer');
});

test('a token from another emulator instance is refused; its own tokens pass', async () => {
  const mine = await createTokenIssuer({ issuer: 'http://127.0.0.1:3', clock });
  const theirs = await createTokenIssuer({ issuer: 'http://127.0.0.1:3', clock });
  const verify = createTokenVerifier({ issuer: mine.issuer, publicKeyFor: mine.publicKeyFor });
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
  const verify = createTokenVerifier({ issuer: issuer.issuer, publicKeyFor: issuer.publicKeyFor });
  const token = issuer.issue({ ...req, ttlSeconds: 60 });
  const issuedAt = Math.floor(clock.now() / 1000) * 1000;
  expect(verify(token, issuedAt + 59_999).namespace).toBe('default');
  expect(failure(() => verify(token, issuedAt + 60_000)).code).toBe('ExpiredTokenException');
});

test('after a key rotation new tokens carry the new kid and tokens of the previous key still verify', async () => {
  const issuer = await createTokenIssuer({ issuer: 'http://127.0.0.1:5', clock });
  const verify = createTokenVerifier({ issuer: issuer.issuer, publicKeyFor: issuer.publicKeyFor });
  const before = issuer.issue(req);
  const oldKid = issuer.kid;
  const newKid = await issuer.rotateKey();
  expect(newKid).not.toBe(oldKid);
  const after = issuer.issue(req);
  expect(JSON.parse(Buffer.from(after.split('.')[0]!, 'base64url').toString()).kid).toBe(newKid);
  expect(issuer.jwks().keys.map((k) => k.kid)).toEqual([newKid, oldKid]);
  expect(verify(before, clock.now()).namespace).toBe('default');
  expect(verify(after, clock.now()).namespace).toBe('default');
});

test('another audience is refused unless the verifier expects it', async () => {
  const issuer = await createTokenIssuer({ issuer: 'http://127.0.0.1:6', clock });
  const api = createTokenVerifier({
    issuer: issuer.issuer,
    publicKeyFor: issuer.publicKeyFor,
    audience: 'https://kubernetes.default.svc',
  });
  expect(failure(() => api(issuer.issue(req), clock.now())).message).toContain('audience');
  const apiToken = issuer.issue({ ...req, audience: 'https://kubernetes.default.svc' });
  expect(api(apiToken, clock.now()).serviceAccount).toBe('app');
});

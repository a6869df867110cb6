// Two agents in one process, each trusting its own issuer and verifying signatures inline (--workers=0):
// each must accept its own issuer's tokens. (Tests, `local` mode and an in-process restart all do this.)
import { afterAll, beforeAll, expect, test } from 'bun:test';
import { type Stack, startStack } from '../helpers/stack.ts';

let first: Stack;
let second: Stack;
beforeAll(async () => {
  first = await startStack({ args: ['--workers=0'] });
  second = await startStack({ args: ['--workers=0'] });
});
afterAll(async () => {
  await first.stop();
  await second.stop();
});

async function status(stack: Stack): Promise<{ status: number; code?: string }> {
  const { token } = await stack.tokenFile();
  const res = await fetch(stack.credentialsUrl, {
    headers: { host: new URL(stack.agent.url).host, authorization: token },
  });
  const body = (await res.json()) as { code?: string };
  return { status: res.status, code: body.code };
}

// Regression: src/token/verify-signature.ts caches imported keys in a module-level map keyed by keyId; key
// ids once were `${version}.${index}`, equal across key sources, so the second agent verified against the
// first agent's key. Key ids now carry the key source's own id.
test('both agents serve their own pods (inline key cache is not shared across key sources)', async () => {
  expect(await status(first)).toEqual({ status: 200, code: undefined });
  expect(await status(second)).toEqual({ status: 200, code: undefined });
});

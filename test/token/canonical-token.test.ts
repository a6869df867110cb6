// One spelling per token: the unused trailing bits of the signature's last base64url character.
import { expect, test } from 'bun:test';
import fc from 'fast-check';
import { startEmulator } from '../../src/emulator/index.ts';
import { canonicalToken } from '../../src/token/canonical-token.ts';
import { spellings } from '../helpers/token-spellings.ts';

test("an RS256 token from the emulator has 16 spellings of one signature; all canonicalise to the issuer's", async () => {
  const emu = await startEmulator();
  try {
    const token = await emu.issueToken({ namespace: 'default', serviceAccount: 'app' });
    const variants = spellings(token);
    expect(variants).toHaveLength(16);
    expect(new Set(variants).size).toBe(16);
    const sig = (t: string) => Buffer.from(t.split('.')[2]!, 'base64url').toString('hex');
    expect(new Set(variants.map(sig)).size).toBe(1);
    // Node's encoder writes canonical base64url: the issued token is its own canonical form.
    expect(canonicalToken(token)).toBe(token);
    for (const v of variants) expect(canonicalToken(v)).toBe(token);
  } finally {
    await emu.stop();
  }
});

test('canonical form: same decoded bytes, idempotent, allocation-free when already canonical', () => {
  fc.assert(
    fc.property(fc.uint8Array({ minLength: 1, maxLength: 300 }), fc.nat(63), (bytes, noise) => {
      const sig = Buffer.from(bytes).toString('base64url');
      const token = `h.p.${sig}`;
      const variant = spellings(token)[noise % spellings(token).length]!;
      const canonical = canonicalToken(variant);
      expect(canonical).toBe(token);
      expect(Buffer.from(canonical.split('.')[2]!, 'base64url')).toEqual(Buffer.from(bytes));
      expect(canonicalToken(canonical)).toBe(canonical);
    }),
  );
});

test.each([
  ['no dots at all', 'abcdefB'],
  ['a multiple of 4 has no unused bits', 'h.p.AAAB'],
  ['padding is left alone', 'h.p.QQ=='],
  ['a foreign last character is left alone', 'h.p.QQ\u00e9'],
  ['an empty signature', 'h.p.'],
])('%s: returned unchanged', (_why, token) => {
  expect(canonicalToken(token)).toBe(token);
});

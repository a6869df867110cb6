import { describe, expect, test } from 'bun:test';
import { randomBytes } from 'node:crypto';
import { isExact, isPacked, pack, unpackBody, unpackRest } from '../../src/credentials/packed-entry.ts';
import { lzDecode, lzEncode, lzReference } from '../../src/credentials/reference-lz.ts';

/** A token's rest (claims and signature) shaped like the API server's, and a body as serialiseCredentials makes it. */
function realistic(i: number): { rest: string; body: string } {
  const claims = {
    aud: ['pods.eks.amazonaws.com'],
    exp: 1_780_000_000 + i,
    iat: 1_779_913_600 + i,
    iss: 'https://oidc.eks.eu-west-1.amazonaws.com/id/0123456789ABCDEF0123456789ABCDEF',
    jti: crypto.randomUUID(),
    'kubernetes.io': {
      namespace: `team-${i % 5}`,
      node: { name: 'ip-10-0-12-34.eu-west-1.compute.internal', uid: '6f1c2a3b-0000-4000-8000-000000000001' },
      pod: { name: `app-${i}-${randomBytes(3).toString('hex')}`, uid: crypto.randomUUID() },
      serviceaccount: { name: `sa-${i % 3}`, uid: '0b8c7d6e-0000-4000-8000-000000000002' },
    },
    nbf: 1_779_913_600 + i,
    sub: `system:serviceaccount:team-${i % 5}:sa-${i % 3}`,
  };
  const rest = `${Buffer.from(JSON.stringify(claims)).toString('base64url')}.${randomBytes(256).toString('base64url')}`;
  const body = JSON.stringify({
    AccessKeyId: `ASIA${randomBytes(8).toString('hex').toUpperCase()}`,
    SecretAccessKey: randomBytes(30).toString('base64'),
    Token: `IQoJb3JpZ2luX2Vj${randomBytes(600 + (i % 7) * 3).toString('base64')}`,
    AccountId: '111122223333',
    Expiration: new Date(Date.UTC(2026, 11, 2, 6) + i * 1000).toISOString().replace(/\.\d{3}Z$/, 'Z'),
  });
  return { rest, body };
}

describe('packed entries', () => {
  test('a token rest and body pack to under two thirds of their length and unpack to the same strings', () => {
    for (let i = 0; i < 200; i++) {
      const { rest, body } = realistic(i);
      const packed = pack(rest, body);
      expect(packed).toBeDefined();
      expect(isPacked(packed!)).toBe(true);
      expect(isPacked(body)).toBe(false);
      expect(unpackRest(packed!)).toBe(rest);
      expect(unpackBody(packed!)).toBe(body);
      expect(packed!.length).toBeLessThan(((rest.length + body.length) * 2) / 3);
    }
  });

  test('a body alone packs (identity-keyed entries) and holds no token', () => {
    const { body } = realistic(1);
    const packed = pack(undefined, body)!;
    expect(unpackBody(packed)).toBe(body);
    expect(() => unpackRest(packed)).toThrow('holds no token');
  });

  test('text that is not base64 as expected is kept exactly as it was, or not packed', () => {
    const { rest, body } = realistic(2);
    const [payload, signature] = rest.split('.') as [string, string];
    const odd = [
      `${payload}=.${signature}`, // padding in base64url
      `${payload}.${signature}.extra`, // three parts
      `${payload.replace(/[A-Za-z]/, '+')}.${signature}`, // a character base64url does not have
      `${payload}.`, // empty signature
      `.${signature}`, // empty claims
      'no-dots-at-all',
      `${payload}.${signature.slice(0, -1)}`, // a length base64 cannot spell exactly
    ];
    for (const r of odd) {
      const packed = pack(r, body);
      expect(packed).toBeDefined();
      expect(unpackRest(packed!)).toBe(r);
      expect(unpackBody(packed!)).toBe(body);
    }
    const oddBodies = [
      body.replace('"Token":"', '"Token":"=='),
      body.replace('"Token":"IQ', '"Token":"I\\"Q'),
      '{"AccessKeyId":"A","Code":"Success"}',
    ];
    for (const b of oddBodies) expect(unpackBody(pack(rest, b)!)).toBe(b);
    // Outside printable ASCII: not packed at all (the entry keeps its strings).
    expect(pack(rest, body.replace('111122223333', '1111\u00e9'))).toBeUndefined();
    expect(pack(`${rest}\u2028`, body)).toBeUndefined();
    expect(pack(rest, `${body}\n`)).toBeUndefined();
  });

  test('one changed character anywhere unpacks to the changed text, never to the original', () => {
    const { rest, body } = realistic(3);
    const alphabet = 'AZaz09-_+/=."{}:,\\ ~';
    for (let at = 0; at < rest.length; at += 7) {
      for (const c of alphabet) {
        const changed = rest.slice(0, at) + c + rest.slice(at + 1);
        const packed = pack(changed, body);
        expect(packed === undefined || unpackRest(packed) === changed).toBe(true);
      }
    }
    for (let at = 0; at < body.length; at += 11) {
      const changed = `${body.slice(0, at)}x${body.slice(at + 1)}`;
      const packed = pack(rest, changed);
      expect(packed === undefined || unpackBody(packed) === changed).toBe(true);
    }
  });
});

describe('exact base64', () => {
  test('isExact agrees with "decodes to bytes that spell it back" on random and near-miss spellings', () => {
    const alphabet = 'AQgw_-+/=.Zz09 \u00e9';
    const cases: string[] = [];
    for (let n = 0; n < 40; n++) {
      const bytes = randomBytes(n);
      cases.push(bytes.toString('base64'), bytes.toString('base64url'));
    }
    for (let i = 0; i < 20_000; i++) {
      const base = cases[i % 80]!;
      const at = Math.floor(Math.random() * (base.length + 1));
      const c = alphabet[Math.floor(Math.random() * alphabet.length)]!;
      // Insert, replace or cut one character, or build a short string from the alphabet.
      const kind = i % 4;
      cases.push(
        kind === 0
          ? base.slice(0, at) + c + base.slice(at)
          : kind === 1
            ? base.slice(0, at) + c + base.slice(at + 1)
            : kind === 2
              ? base.slice(0, at) + base.slice(at + 1)
              : Array.from(
                  { length: 1 + (i % 6) },
                  () => alphabet[Math.floor(Math.random() * alphabet.length)],
                ).join(''),
      );
    }
    let exact = 0;
    for (const s of cases) {
      for (const encoding of ['base64', 'base64url'] as const) {
        const spelled = s.length > 0 && Buffer.from(s, encoding).toString(encoding) === s;
        expect(isExact(s, encoding)).toBe(spelled);
        if (spelled) exact++;
      }
    }
    // Both answers occur often enough to mean something.
    expect(exact).toBeGreaterThan(2000);
    expect(exact).toBeLessThan(cases.length * 2 - 2000);
  });
});

describe('reference LZ', () => {
  test('random Latin-1 text round-trips against a reference, including overlapping copies', () => {
    const ref = lzReference(
      'the quick brown fox jumps over the lazy dog; {"aud":["pods.eks.amazonaws.com"]}',
    );
    const texts = [
      '',
      'a',
      'aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa',
      'the quick brown fox jumps over the lazy dog; the quick brown fox',
      randomBytes(300).toString('latin1'),
      `${randomBytes(200).toString('latin1')}{"aud":["pods.eks.amazonaws.com"]}${randomBytes(5).toString('latin1')}`,
    ];
    for (let i = 0; i < 200; i++) {
      const n = Math.floor(Math.random() * 600);
      const bytes = new Uint8Array(n);
      // A small alphabet makes many repeats (copies from the text itself).
      for (let k = 0; k < n; k++) bytes[k] = 97 + Math.floor(Math.random() * (i % 2 === 0 ? 3 : 256 - 97));
      texts.push(Buffer.from(bytes).toString('latin1'));
    }
    for (const text of texts) {
      const coded = lzEncode(text, ref)!;
      expect(Buffer.from(lzDecode(coded, 0, coded.length, text.length, ref)).toString('latin1')).toBe(text);
    }
    // Repeats cost a few characters: 137 repeats of one character code to a literal and two copies.
    expect(lzEncode(texts[2]!, ref)!.length).toBeLessThanOrEqual(10);
  });

  test('corrupt coded text is refused, not read past its end', () => {
    const ref = lzReference('reference text');
    const coded = lzEncode('reference text and more text', ref)!;
    expect(() => lzDecode(coded, 0, coded.length - 1, 28, ref)).toThrow('corrupt');
    expect(() => lzDecode(coded, 0, coded.length, 27, ref)).toThrow('corrupt');
    expect(() => lzDecode('\u00ff\u00ff\u00ff', 0, 3, 200, ref)).toThrow('corrupt');
  });
});

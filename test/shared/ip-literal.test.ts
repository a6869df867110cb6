// ipVersion answers as node:net's isIP does (the agent used isIP until loading node:net was found to cost memory
// at start). node:net is the oracle here: tests may load it, the agent may not.
import { describe, expect, test } from 'bun:test';
import { isIP } from 'node:net';
import fc from 'fast-check';
import { ipVersion } from '../../src/shared/ip-literal.ts';

const HEX = ['0', '1', '9', 'a', 'F', 'ffff', '0000', '00000', '12345', 'g', ''];
const OCTETS = ['0', '1', '09', '10', '99', '100', '199', '249', '255', '256', '300', '1000', ''];
const ZONES = ['', '%', '%eth0', '%1', '%a.b-c:d', '%e_1', '%e%1', '% '];

/** Strings shaped like IPv4 literals: four parts or not, octets in and out of range, odd separators. */
const v4Like = fc
  .tuple(
    fc.array(fc.constantFrom(...OCTETS), { minLength: 1, maxLength: 6 }),
    fc.constantFrom('.', '.', ',', '..'),
  )
  .map(([parts, sep]) => parts.join(sep));

/** One character of `text` changed, dropped or added at a chosen place, or none. */
const perhapsChanged = (text: string, change: [number, string] | null) => {
  if (change === null) return text;
  const [at, put] = change;
  const i = at % (text.length + 1);
  return `${text.slice(0, i)}${put}${text.slice(put === '' ? i + 1 : i)}`;
};
const CHANGE = fc.option(fc.tuple(fc.nat(60), fc.constantFrom('', ':', '.', '0', '9', 'g', '%', '::')));

/** Valid IPv4 literals, then perhaps changed by one character. */
const v4Built = fc
  .tuple(
    fc.array(fc.constantFrom('0', '7', '10', '99', '100', '254', '255'), { minLength: 4, maxLength: 4 }),
    CHANGE,
  )
  .map(([octets, change]) => perhapsChanged(octets.join('.'), change));

/** Strings shaped like IPv6 literals: groups, at most a few `::`, an IPv4 tail, a zone, stray characters. */
const v6Like = fc
  .tuple(
    fc.array(fc.oneof(fc.constantFrom(...HEX), v4Like), { minLength: 0, maxLength: 10 }),
    fc.array(fc.constantFrom(':', ':', ':', '::', ':::', '.'), { minLength: 10, maxLength: 10 }),
    fc.constantFrom(...ZONES),
    fc.constantFrom('', '', '', ' ', '[', ']', ':', '::'),
    fc.boolean(),
  )
  .map(([groups, seps, zone, edge, edgeFirst]) => {
    const body = groups.map((g, i) => (i === 0 ? g : `${seps[i] as string}${g}`)).join('');
    return edgeFirst ? `${edge}${body}${zone}` : `${body}${edge}${zone}`;
  });

/** Addresses built to be valid (eight groups, one run compressed to `::`, an IPv4 tail, a zone), then perhaps
 * changed by one character: near misses of valid addresses are where a parser goes wrong. */
const v6Built = fc
  .tuple(
    fc.array(fc.constantFrom('0', '1', 'ec2', 'fd00', 'FFFF', 'abcd'), { minLength: 8, maxLength: 8 }),
    fc.boolean(),
    fc.nat(8),
    fc.nat(8),
    fc.constantFrom(...ZONES.slice(0, 5)),
    CHANGE,
  )
  .map(([groups, v4Tail, a, b, zone, change]) => {
    const parts = v4Tail ? [...groups.slice(0, 6), '10.0.0.255'] : groups;
    const [from, to] = [Math.min(a, b) % parts.length, Math.max(a, b) % (parts.length + 1)];
    const text =
      to > from
        ? `${parts.slice(0, from).join(':')}::${parts.slice(to).join(':')}${zone}`
        : `${parts.join(':')}${zone}`;
    return perhapsChanged(text, change);
  });

/** Any short string over the characters that matter. */
const soup = fc.string({
  unit: fc.constantFrom(...'0123456789abcdefABCDEFgxz:.%-_ []١'.split('')),
  maxLength: 45,
});

/** All of the above. */
const candidates = fc.oneof(v4Like, v4Built, v6Like, v6Built, soup);

describe('ipVersion', () => {
  test.each([
    ['127.0.0.1', 4],
    ['0.0.0.0', 4],
    ['255.255.255.255', 4],
    ['169.254.170.23', 4],
    ['256.1.1.1', 0],
    ['01.2.3.4', 0],
    ['1.2.3', 0],
    ['1.2.3.4.', 0],
    [' 1.2.3.4', 0],
    ['1.2.3.4%x', 0],
    ['::', 6],
    ['::1', 6],
    ['1::', 6],
    ['fd00:ec2::23', 6],
    ['1:2:3:4:5:6:7:8', 6],
    ['1:2:3:4:5:6:7::', 6],
    ['::1:2:3:4:5:6:7', 6],
    ['::ffff:1.2.3.4', 6],
    ['1:2:3:4:5:6:1.2.3.4', 6],
    ['fe80::1%eth0', 6],
    ['1:2:3:4:5:6:7:8:9', 0],
    ['1:2:3:4:5:6::1.2.3.4', 0],
    ['1.2.3.4::', 0],
    ['1.2.3.4::1.2.3.4', 0],
    ['1::2::3', 0],
    [':::', 0],
    ['fd00:ec2::23:', 0],
    ['fe80::1%', 0],
    ['[::1]', 0],
    ['example.com', 0],
    ['', 0],
  ])('%p is %p, as isIP says', (text, version) => {
    expect([ipVersion(text), isIP(text)]).toEqual([version as 0 | 4 | 6, version]);
  });

  test('agrees with node:net isIP on IPv4-shaped, IPv6-shaped and arbitrary strings', () => {
    fc.assert(
      fc.property(candidates, (text) => ipVersion(text) === isIP(text)),
      { numRuns: 30_000 },
    );
  });

  test('the generators reach all three answers often (a property over only one answer would prove little)', () => {
    const seen = [0, 0, 0, 0, 0, 0, 0];
    for (const text of fc.sample(candidates, { numRuns: 30_000, seed: 1 }))
      seen[isIP(text)] = (seen[isIP(text)] ?? 0) + 1;
    expect(Math.min(seen[0] ?? 0, seen[4] ?? 0, seen[6] ?? 0)).toBeGreaterThan(1000);
  });
});

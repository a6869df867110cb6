// Go duration parsing, checked against results of Go's own time.ParseDuration, and Go's own renderings.
import { describe, expect, test } from 'bun:test';
import fc from 'fast-check';
import { DurationError, parseGoDuration, parseGoDurationNs } from '../../src/config/duration.ts';

// [input, nanoseconds] — cases from Go's time package tests, plus the agent's own flag defaults.
const VALID: [string, bigint][] = [
  ['0', 0n],
  ['-0', 0n],
  ['+0', 0n],
  ['5s', 5_000_000_000n],
  ['30s', 30_000_000_000n],
  ['1478s', 1_478_000_000_000n],
  ['-5s', -5_000_000_000n],
  ['+5s', 5_000_000_000n],
  ['-0s', 0n],
  ['5.0s', 5_000_000_000n],
  ['5.6s', 5_600_000_000n],
  ['5.s', 5_000_000_000n],
  ['.5s', 500_000_000n],
  ['1.004s', 1_004_000_000n],
  ['100.00100s', 100_001_000_000n],
  ['10ns', 10n],
  ['11us', 11_000n],
  ['12µs', 12_000n],
  ['12μs', 12_000n],
  ['13ms', 13_000_000n],
  ['15m', 900_000_000_000n],
  ['16h', 57_600_000_000_000n],
  ['3h', 10_800_000_000_000n],
  ['90m', 5_400_000_000_000n],
  ['1h30m', 5_400_000_000_000n],
  ['1.5h', 5_400_000_000_000n],
  ['3h30m', 12_600_000_000_000n],
  ['10.5s4m', 250_500_000_000n],
  ['-2m3.4s', -123_400_000_000n],
  ['1h2m3s4ms5us6ns', 3_723_004_005_006n],
  ['39h9m14.425s', 140_954_425_000_000n],
  ['52763797000ns', 52_763_797_000n],
  ['0.3333333333333333333h', 1_200_000_000_000n],
  ['9007199254740993ns', 9_007_199_254_740_993n],
  ['9223372036854775807ns', 9_223_372_036_854_775_807n],
  ['9223372036854775.807us', 9_223_372_036_854_775_807n],
  ['-9223372036854775808ns', -9_223_372_036_854_775_808n],
  ['0.100000000000000000000h', 360_000_000_000n],
  ['1.5ns', 1n],
];

const INVALID = [
  '',
  '3',
  'h',
  '1x',
  '1.5',
  '-',
  '+',
  '.',
  '.s',
  '+.s',
  's',
  '1h 30m',
  '1S',
  '3 h',
  '1hh',
  '9223372036854775808ns',
  '3000000h',
  '9223372036854775.808us',
  '-9223372036854775809ns',
  'x'.repeat(200),
];

describe('parseGoDuration', () => {
  test.each(VALID)('%p is %p ns', (input, ns) => {
    expect(parseGoDurationNs(input)).toBe(ns);
    // Milliseconds as a double: exact up to the double's own precision.
    const expectedMs = Number(ns) / 1e6;
    expect(Math.abs(parseGoDuration(input) - expectedMs)).toBeLessThanOrEqual(Math.abs(expectedMs) * 1e-15);
  });

  test('returns milliseconds', () => {
    expect(parseGoDuration('3h')).toBe(10_800_000);
    expect(parseGoDuration('500ms')).toBe(500);
    expect(parseGoDuration('1ns')).toBe(0.000001);
    expect(parseGoDuration('1.1s')).toBe(1100);
    expect(parseGoDuration('100us')).toBe(0.1);
  });

  test.each(INVALID)('rejects %p with a DurationError naming the input', (input) => {
    expect(() => parseGoDuration(input)).toThrow(DurationError);
    try {
      parseGoDuration(input);
    } catch (err) {
      const message = (err as Error).message;
      expect(message).toStartWith('invalid duration "');
      expect(message).not.toContain('\n');
      expect(message.length).toBeLessThan(200);
    }
  });

  test('explains what is wrong', () => {
    expect(() => parseGoDuration('3')).toThrow(/missing unit/);
    expect(() => parseGoDuration('1x')).toThrow(/unknown unit "x"/);
    expect(() => parseGoDuration('')).toThrow(/empty/);
    expect(() => parseGoDuration('9223372036854775808ns')).toThrow(/out of range/);
  });

  test('rejects non-strings without crashing', () => {
    expect(() => parseGoDuration(undefined as unknown as string)).toThrow(DurationError);
    expect(() => parseGoDuration(5 as unknown as string)).toThrow(DurationError);
  });
});

// What Go's Duration.String prints for these durations (ms): each parses back to the same duration.
const FORMATTED: [number, string][] = [
  [0, '0s'],
  [0.000001, '1ns'],
  [0.0011, '1.1µs'],
  [2.2, '2.2ms'],
  [500, '500ms'],
  [3300, '3.3s'],
  [1000, '1s'],
  [-1000, '-1s'],
  [264_000, '4m24s'],
  [5_025_000, '1h23m45s'],
  [10_800_000, '3h0m0s'],
  [5_400_000, '1h30m0s'],
  [9_223_372_036_854, '2562047h47m16.854s'],
];

describe("Go's renderings", () => {
  test.each(FORMATTED)('%p ms printed by Go as %p parses back', (ms, text) => {
    expect(parseGoDuration(text)).toBe(ms);
  });

  test('a sum of every unit parses to the sum of its parts', () => {
    const unitNs = {
      h: 3_600_000_000_000n,
      m: 60_000_000_000n,
      s: 1_000_000_000n,
      ms: 1_000_000n,
      us: 1_000n,
      ns: 1n,
    };
    fc.assert(
      fc.property(
        fc.record({
          h: fc.nat(100_000),
          m: fc.nat(59),
          s: fc.nat(59),
          ms: fc.nat(999),
          us: fc.nat(999),
          ns: fc.nat(999),
        }),
        fc.boolean(),
        (parts, negative) => {
          const text = Object.entries(parts)
            .map(([unit, n]) => `${n}${unit}`)
            .join('');
          const ns = Object.entries(parts).reduce(
            (sum, [unit, n]) => sum + BigInt(n) * unitNs[unit as keyof typeof unitNs],
            0n,
          );
          expect(parseGoDurationNs(negative ? `-${text}` : text)).toBe(negative ? -ns : ns);
        },
      ),
      { numRuns: 2000 },
    );
  });
});

// Go `time.ParseDuration` syntax ("3h", "1h30m", "1.5h", "500ms") for flags shared with the public agent.
//
// Parsing follows Go's algorithm: integer nanoseconds in BigInt (Go's int64, so the same inputs overflow),
// fractions scaled through a double exactly as Go does, so every input gives Go's nanosecond count.
// Results are milliseconds as a JS number (fractional below 1 ms).

const NS_PER_UNIT: Readonly<Record<string, bigint>> = {
  ns: 1n,
  us: 1_000n,
  µs: 1_000n, // U+00B5 micro sign, what Go prints
  μs: 1_000n, // U+03BC Greek mu, which Go also accepts
  ms: 1_000_000n,
  s: 1_000_000_000n,
  m: 60_000_000_000n,
  h: 3_600_000_000_000n,
};

const NS_PER_MS = 1_000_000n;
/** Go's time.Duration is an int64 of nanoseconds (~292 years). */
const MAX_NS = 2n ** 63n - 1n;
/** Longer inputs are not durations anyone means; the bound keeps parsing cheap. */
const MAX_INPUT_LENGTH = 64;

/** One "<number><unit>" term: integer part, optional fraction, then everything up to the next number. */
const TERM = /^(\d*)(?:\.(\d*))?([^\d.]*)/;
/** Go stops accumulating fraction digits before its uint64 would overflow. */
const MAX_FRACTION_ACCUMULATOR = (2n ** 63n - 1n) / 10n;

export class DurationError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'DurationError';
  }
}

function fail(input: string, why: string): never {
  const shown = input.length > MAX_INPUT_LENGTH ? `${input.slice(0, MAX_INPUT_LENGTH)}...` : input;
  throw new DurationError(`invalid duration ${JSON.stringify(shown)}: ${why}`);
}

/** Integer nanoseconds for a Go duration string; throws DurationError on anything Go would reject. */
export function parseGoDurationNs(input: string): bigint {
  if (typeof input !== 'string' || input.length === 0) fail(String(input ?? ''), 'empty');
  if (input.length > MAX_INPUT_LENGTH) fail(input, 'too long');
  let rest = input;
  let negative = false;
  if (rest[0] === '-' || rest[0] === '+') {
    negative = rest[0] === '-';
    rest = rest.slice(1);
  }
  // Go special-cases a bare zero; every other number needs a unit.
  if (rest === '0') return 0n;
  if (rest === '') fail(input, 'missing number');
  let total = 0n;
  while (rest !== '') {
    const m = TERM.exec(rest);
    const [whole = '', intPart = '', fracPart, unitName = ''] = m ?? [];
    if (intPart === '' && !fracPart)
      fail(input, 'expected a number followed by a unit (ns, us, ms, s, m, h)');
    if (unitName === '') fail(input, 'missing unit (ns, us, ms, s, m, h)');
    const unit = NS_PER_UNIT[unitName];
    if (unit === undefined) fail(input, `unknown unit ${JSON.stringify(unitName)} (use ns, us, ms, s, m, h)`);
    let ns = BigInt(intPart || '0') * unit;
    if (fracPart) ns += fractionNs(fracPart, unit);
    total += ns;
    if (total > MAX_NS + 1n) fail(input, 'out of range');
    rest = rest.slice(whole.length);
  }
  if (!negative && total > MAX_NS) fail(input, 'out of range');
  return negative ? -total : total;
}

/** Go's fraction step: accumulate digits while they fit, then scale through a double and truncate. */
function fractionNs(digits: string, unit: bigint): bigint {
  let value = 0n;
  let scale = 1;
  for (const digit of digits) {
    if (value > MAX_FRACTION_ACCUMULATOR) break;
    value = value * 10n + BigInt(digit);
    scale *= 10;
  }
  return BigInt(Math.trunc(Number(value) * (Number(unit) / scale)));
}

/** Milliseconds for a Go duration string ("90m" -> 5_400_000); fractional below 1 ms ("1ns" -> 0.000001). */
export function parseGoDuration(input: string): number {
  const ns = parseGoDurationNs(input);
  const wholeMs = ns / NS_PER_MS;
  return Number(wholeMs) + Number(ns - wholeMs * NS_PER_MS) / 1e6;
}

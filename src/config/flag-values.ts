// Converters from raw flag strings to typed config values; each failure is one UsageError line that
// names the flag, shows the (possibly redacted) value and says what would be accepted.
import { showValue, UsageError } from '../cli/usage-error.ts';
import { ipVersion } from '../shared/ip-literal.ts';
import { DurationError, parseGoDuration } from './duration.ts';

function invalid(flag: string, raw: string, expected: string): UsageError {
  return new UsageError(`invalid value ${showValue(raw)} for ${flag}: ${expected}`);
}

const INTEGER = /^[+-]?\d+$/;
const DECIMAL = /^[+-]?(\d+\.?\d*|\.\d+)$/;

/** A decimal integer within [min, max]; rejects "1e3", "0x10", "" and fractions. */
export function toInteger(flag: string, raw: string, min: number, max: number): number {
  const n = INTEGER.test(raw.trim()) ? Number(raw) : Number.NaN;
  if (!Number.isSafeInteger(n)) throw invalid(flag, raw, `expected an integer from ${min} to ${max}`);
  if (n < min || n > max) throw invalid(flag, raw, `must be from ${min} to ${max}`);
  return n;
}

export interface NumberBounds {
  readonly min: number;
  readonly max: number;
  /** When true, `min` itself is rejected (a strictly positive rate). */
  readonly minExclusive?: boolean;
}

/** A plain decimal number (e.g. a rate, "0.5"); rejects NaN, Infinity and exponents. */
export function toNumber(flag: string, raw: string, bounds: NumberBounds): number {
  const n = DECIMAL.test(raw.trim()) ? Number(raw) : Number.NaN;
  if (!Number.isFinite(n)) throw invalid(flag, raw, 'expected a number');
  const tooLow = bounds.minExclusive ? n <= bounds.min : n < bounds.min;
  if (tooLow || n > bounds.max) {
    const low = bounds.minExclusive ? `greater than ${bounds.min}` : `at least ${bounds.min}`;
    throw invalid(flag, raw, `must be ${low} and at most ${bounds.max}`);
  }
  return n;
}

export function toPort(flag: string, raw: string): number {
  return toInteger(flag, raw, 1, 65535);
}

export interface DurationBounds {
  readonly allowZero: boolean;
  readonly maxMs: number;
}

/** A Go duration as whole milliseconds; a positive duration under 1 ms rounds up, never to 0 (which may mean "off"). */
export function toDurationMs(flag: string, raw: string, bounds: DurationBounds): number {
  let ms: number;
  try {
    ms = parseGoDuration(raw.trim());
  } catch (err) {
    if (!(err instanceof DurationError)) throw err;
    throw invalid(flag, raw, 'expected a Go duration such as 500ms, 90s, 3h or 1h30m');
  }
  if (ms < 0) throw invalid(flag, raw, 'must not be negative');
  if (ms === 0 && !bounds.allowZero) throw invalid(flag, raw, 'must be greater than 0');
  if (ms > bounds.maxMs) throw invalid(flag, raw, `must be at most ${bounds.maxMs} ms`);
  return Math.ceil(ms);
}

const HOST_LABEL = /^[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?$/;

/** An IP literal (IPv6 with or without brackets, stored without) or a DNS host name. */
export function toHost(flag: string, raw: string): string {
  const value = raw.trim();
  const bare = value.startsWith('[') && value.endsWith(']') ? value.slice(1, -1) : value;
  if (bare !== value && ipVersion(bare) !== 6)
    throw invalid(flag, raw, 'brackets only go around an IPv6 address');
  if (ipVersion(bare) !== 0) return bare;
  const name = bare.endsWith('.') ? bare.slice(0, -1) : bare;
  if (name.length > 0 && name.length <= 253 && name.split('.').every((l) => HOST_LABEL.test(l))) return bare;
  throw invalid(flag, raw, 'expected an IP address or a host name');
}

/** An absolute http(s) URL without credentials, query or fragment; trailing slashes removed for joining paths. */
export function toHttpUrl(flag: string, raw: string): string {
  let url: URL;
  try {
    url = new URL(raw.trim());
  } catch {
    throw invalid(flag, raw, 'expected an http or https URL');
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    throw invalid(flag, raw, 'expected an http or https URL');
  }
  if (url.username || url.password) throw invalid(flag, raw, 'must not contain credentials');
  if (url.search || url.hash) throw invalid(flag, raw, 'must not contain a query or fragment');
  return url.href.replace(/\/+$/, '');
}

const CLUSTER_NAME = /^[0-9A-Za-z][A-Za-z0-9\-_]*$/;

/** The cluster name as EKS Auth accepts it in its URI: 1-100 chars, [0-9A-Za-z][A-Za-z0-9\-_]*. */
export function toClusterName(flag: string, raw: string): string {
  if (raw.length < 1 || raw.length > 100 || !CLUSTER_NAME.test(raw)) {
    throw invalid(
      flag,
      raw,
      'a cluster name is 1-100 letters, digits, - or _, starting with a letter or digit',
    );
  }
  return raw;
}

/** pino's level names; `-v` maps the public agent's logrus names onto them. */
export type LogLevel = 'trace' | 'debug' | 'info' | 'warn' | 'error' | 'fatal' | 'silent';

const LEVEL_NAMES: Readonly<Record<string, LogLevel>> = {
  trace: 'trace',
  debug: 'debug',
  info: 'info',
  warn: 'warn',
  warning: 'warn', // logrus spelling, used by the public agent
  error: 'error',
  fatal: 'fatal',
  panic: 'fatal', // logrus level above fatal; pino has none
  silent: 'silent',
};

/** A level name, or a klog-style verbosity number: 0-3 info, 4-5 debug, 6-9 trace. */
export function toLogLevel(flag: string, raw: string): LogLevel {
  const word = raw.trim().toLowerCase();
  const named = LEVEL_NAMES[word];
  if (named) return named;
  if (/^\d$/.test(word)) {
    const v = Number(word);
    return v >= 6 ? 'trace' : v >= 4 ? 'debug' : 'info';
  }
  throw invalid(flag, raw, 'expected trace, debug, info, warn, error, fatal, silent or a number 0-9');
}

/** One of a closed set of words. */
export function toChoice<T extends string>(flag: string, raw: string, choices: readonly T[]): T {
  const word = raw.trim().toLowerCase();
  const found = choices.find((c) => c === word);
  if (found === undefined) throw invalid(flag, raw, `expected one of ${choices.join(', ')}`);
  return found;
}

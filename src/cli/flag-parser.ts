// A table-driven flag parser with pflag's (Go cobra) syntax, and the help text rendered from the same table.
//
// Accepted forms: `--name value`, `--name=value`, `-n value`, `-n=value`, `-nvalue`; booleans as `--name` or
// `--name=true|false` (pflag never gives a boolean the next argument; a following Go true-word such as the
// public chart's `--rotate-credentials "true"` is skipped as cobra ignores it, a false-word is an error);
// list flags repeat and also split on commas. A repeated single-value flag keeps the last value, so an override appended to a manifest wins.
import { ConfigError, showValue } from '../config/config-error.ts';

export type FlagKind = 'value' | 'boolean' | 'list';

export interface FlagSpec {
  /** Long name without the dashes. */
  readonly name: string;
  /** One-letter short form without the dash. */
  readonly short?: string;
  readonly kind: FlagKind;
  /** Placeholder shown in help, e.g. PORT. */
  readonly valueName?: string;
  /** Raw default, parsed exactly like user input, so help and behaviour cannot disagree. */
  readonly default?: string | readonly string[];
  /** Shown in help when the default is computed at run time. */
  readonly defaultText?: string;
  readonly help: string;
}

/**
 * The public agent's one root (cobra "persistent") flag, accepted by every subcommand: the public chart renders
 * `initialize -v trace` as well as `server ... -v trace`.
 */
export const VERBOSITY_FLAG = {
  name: 'verbosity',
  short: 'v',
  kind: 'value',
  valueName: 'LEVEL',
  default: 'info',
  help: 'Log level: trace, debug, info, warn, error, fatal, silent (or 0-9: 4+ debug, 6+ trace).',
} as const satisfies FlagSpec;

/** Raw values by long name: the last value for value flags, every value for lists, 'true'/'false' for booleans. */
export type RawFlags = ReadonlyMap<string, readonly string[]>;

const TRUE_WORDS = new Set(['1', 't', 'true']);
const FALSE_WORDS = new Set(['0', 'f', 'false']);
/** Go's strconv.ParseBool words exactly (case-sensitive), for a word standing after a boolean flag. */
const GO_TRUE_WORDS = new Set(['1', 't', 'T', 'TRUE', 'true', 'True']);
const GO_FALSE_WORDS = new Set(['0', 'f', 'F', 'FALSE', 'false', 'False']);
/** Anything that looks like a flag rather than a value: `-x`, `--x`, but not a negative number. */
const LOOKS_LIKE_FLAG = /^-(?!\d)./;

/** Go's strconv.ParseBool: 1, t, true, 0, f, false in any case. */
export function parseBoolWord(flag: string, value: string): boolean {
  const word = value.toLowerCase();
  if (TRUE_WORDS.has(word)) return true;
  if (FALSE_WORDS.has(word)) return false;
  throw new ConfigError(`invalid value ${showValue(value)} for --${flag}: expected true or false`);
}

/** Edit distance counting a swap of neighbours as one edit ("prot" is one edit from "port"). */
function editDistance(a: string, b: string): number {
  const d: number[][] = Array.from({ length: a.length + 1 }, (_, i) => [i]);
  for (let j = 1; j <= b.length; j++) d[0]![j] = j;
  for (let i = 1; i <= a.length; i++) {
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      let best = Math.min(d[i - 1]![j]! + 1, d[i]![j - 1]! + 1, d[i - 1]![j - 1]! + cost);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1])
        best = Math.min(best, d[i - 2]![j - 2]! + 1);
      d[i]![j] = best;
    }
  }
  return d[a.length]![b.length]!;
}

function unknownFlag(token: string, specs: readonly FlagSpec[]): ConfigError {
  const name = token.replace(/^-+/, '').split('=')[0] ?? '';
  const close = specs
    .map((s) => ({ s, d: editDistance(name, s.name) }))
    // Two edits are a typo in a long name but a different word in a short one.
    .filter(({ s, d }) => name.length > 1 && (d <= (name.length >= 5 ? 2 : 1) || s.name.startsWith(name)))
    .sort((x, y) => x.d - y.d)[0];
  const hint = close ? ` (did you mean --${close.s.name}?)` : '';
  return new ConfigError(`unknown flag ${showValue(token.split('=')[0] ?? token)}${hint}`);
}

/** Parses argv against a flag table; throws ConfigError for unknown flags, missing values and stray arguments. */
export function parseFlags(argv: readonly string[], specs: readonly FlagSpec[]): RawFlags {
  const byLong = new Map(specs.map((s) => [s.name, s]));
  const byShort = new Map(specs.filter((s) => s.short).map((s) => [s.short!, s]));
  const out = new Map<string, string[]>();
  for (let i = 0; i < argv.length; i++) {
    const token = argv[i]!;
    if (token === '--') {
      if (i + 1 < argv.length) throw new ConfigError(`unexpected argument ${showValue(argv[i + 1]!)}`);
      break;
    }
    let spec: FlagSpec | undefined;
    let inline: string | undefined;
    if (token.startsWith('--')) {
      const eq = token.indexOf('=');
      spec = byLong.get(eq === -1 ? token.slice(2) : token.slice(2, eq));
      if (eq !== -1) inline = token.slice(eq + 1);
    } else if (token.startsWith('-') && token.length > 1) {
      spec = byShort.get(token[1]!);
      // `-p=80` and `-p80` both carry the value inline, as in pflag.
      if (token.length > 2) inline = token[2] === '=' ? token.slice(3) : token.slice(2);
    } else {
      throw new ConfigError(`unexpected argument ${showValue(token)} (flags look like --name value)`);
    }
    if (!spec) throw unknownFlag(token, specs);
    let value: string;
    if (spec.kind === 'boolean') {
      value = inline === undefined ? 'true' : String(parseBoolWord(spec.name, inline));
      const next = argv[i + 1];
      if (inline === undefined && next !== undefined) {
        // The public chart renders `--rotate-credentials "true"`: pflag sets the flag, cobra ignores the word.
        if (GO_TRUE_WORDS.has(next)) i++;
        // The same rule would turn `--flag false` ON; say so instead of doing it.
        else if (GO_FALSE_WORDS.has(next)) {
          throw new ConfigError(
            `"--${spec.name} ${next}" would turn --${spec.name} on (a separate word does not set a boolean flag); write --${spec.name}=${next}`,
          );
        }
      }
    } else if (inline !== undefined) {
      value = inline;
    } else {
      const next = argv[i + 1];
      if (next === undefined || LOOKS_LIKE_FLAG.test(next)) {
        throw new ConfigError(
          `flag --${spec.name} needs a value${spec.valueName ? ` (${spec.valueName})` : ''}`,
        );
      }
      value = next;
      i++;
    }
    if (spec.kind === 'list') {
      const list = out.get(spec.name) ?? [];
      list.push(...value.split(','));
      out.set(spec.name, list);
    } else {
      out.set(spec.name, [value]);
    }
  }
  return out;
}

/** True when argv asks for help (`-h`, `--help`, `--help=true`) before any `--`. */
export function wantsHelp(argv: readonly string[]): boolean {
  for (const token of argv) {
    if (token === '--') return false;
    if (token === '-h' || token === '--help' || token === '--help=true') return true;
  }
  return false;
}

function describeDefault(spec: FlagSpec): string {
  if (spec.defaultText) return spec.defaultText;
  if (spec.default === undefined) return '';
  return typeof spec.default === 'string' ? spec.default : spec.default.join(', ');
}

const HELP_INDENT = '        ';
const HELP_WIDTH = 100;

/** Greedy word wrap so help reads in an 100-column terminal. */
function wrap(text: string): string[] {
  const lines: string[] = [];
  let line = '';
  for (const word of text.split(' ')) {
    if (line && HELP_INDENT.length + line.length + 1 + word.length > HELP_WIDTH) {
      lines.push(line);
      line = word;
    } else {
      line = line ? `${line} ${word}` : word;
    }
  }
  if (line) lines.push(line);
  return lines;
}

/** Help for every flag of a table: forms and placeholder on one line, then meaning and default. */
export function formatFlagsHelp(specs: readonly FlagSpec[]): string {
  return specs
    .map((s) => {
      const forms = `${s.short ? `-${s.short}, ` : '    '}--${s.name}${s.kind === 'boolean' ? '' : ` ${s.valueName ?? 'VALUE'}`}`;
      const dflt = describeDefault(s);
      const more = s.kind === 'list' ? ' Repeatable; commas also separate values.' : '';
      const text = `${s.help}${more}${dflt ? ` (default: ${dflt})` : ''}`;
      return [`  ${forms}`, ...wrap(text).map((l) => HELP_INDENT + l)].join('\n');
    })
    .join('\n');
}

// The one flag parser of every subcommand: table-driven, with pflag's (Go cobra) syntax. help.ts renders the
// same tables, so a flag's help and its parsing cannot drift apart.
//
// Accepted forms: `--name value`, `--name=value`, `-n value`, `-n=value`, `-nvalue`; booleans as `--name` or
// `--name=true|false` (pflag never gives a boolean the next argument; a following Go true-word such as the
// public chart's `--rotate-credentials "true"` is skipped as cobra ignores it, a false-word is an error);
// list flags repeat and also split on commas. A repeated single-value flag keeps the last value, so an override appended to a manifest wins.
import { showValue, UsageError } from './usage-error.ts';

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
  /** A second occurrence is an error instead of an override (where a silent override would hide a mistake). */
  readonly once?: boolean;
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

/** `-h`/`--help`, in every subcommand's table. */
export const HELP_FLAG = {
  name: 'help',
  short: 'h',
  kind: 'boolean',
  help: 'Show this help.',
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
  throw new UsageError(`invalid value ${showValue(value)} for --${flag}: expected true or false`);
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

function unknownFlag(token: string, specs: readonly FlagSpec[]): UsageError {
  const name = token.replace(/^-+/, '').split('=')[0] ?? '';
  const close = specs
    .map((s) => ({ s, d: editDistance(name, s.name) }))
    // Two edits are a typo in a long name but a different word in a short one.
    .filter(({ s, d }) => name.length > 1 && (d <= (name.length >= 5 ? 2 : 1) || s.name.startsWith(name)))
    .sort((x, y) => x.d - y.d)[0];
  const hint = close ? ` (did you mean --${close.s.name}?)` : '';
  return new UsageError(`unknown flag ${showValue(token.split('=')[0] ?? token)}${hint}`);
}

/** Parses argv against a flag table; throws UsageError for unknown flags, missing values and stray arguments. */
export function parseFlags(argv: readonly string[], specs: readonly FlagSpec[]): RawFlags {
  const byLong = new Map(specs.map((s) => [s.name, s]));
  const byShort = new Map(specs.filter((s) => s.short).map((s) => [s.short!, s]));
  const out = new Map<string, string[]>();
  for (let i = 0; i < argv.length; i++) {
    const token = argv[i]!;
    if (token === '--') {
      if (i + 1 < argv.length) throw new UsageError(`unexpected argument ${showValue(argv[i + 1]!)}`);
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
      throw new UsageError(`unexpected argument ${showValue(token)} (flags look like --name value)`);
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
          throw new UsageError(
            `"--${spec.name} ${next}" would turn --${spec.name} on (a separate word does not set a boolean flag); write --${spec.name}=${next}`,
          );
        }
      }
    } else if (inline !== undefined) {
      value = inline;
    } else {
      const next = argv[i + 1];
      if (next === undefined || LOOKS_LIKE_FLAG.test(next)) {
        throw new UsageError(
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
      if (spec.once && out.has(spec.name)) throw new UsageError(`--${spec.name} given twice`);
      out.set(spec.name, [value]);
    }
  }
  return out;
}

/** Parsed flags read by name, each falling back to its table default (parsed exactly like user input). */
export interface FlagValues<N extends string> {
  /** The value given last, or undefined when the flag is absent. */
  given(name: N): string | undefined;
  /** The value given last, else the table's default; the table must give one. */
  value(name: N): string;
  /** Every value of a list flag, else the table's default list. */
  list(name: N): readonly string[];
  /** A boolean flag is on. */
  isOn(name: N): boolean;
}

/** Parses argv against a flag table (see parseFlags) and reads the result by name. */
export function readFlags<const S extends readonly FlagSpec[]>(
  argv: readonly string[],
  specs: S,
): FlagValues<S[number]['name']> {
  const flags = parseFlags(argv, specs);
  const defaultOf = (name: string) => specs.find((s) => s.name === name)?.default;
  return {
    given: (name) => flags.get(name)?.at(-1),
    value(name) {
      const value = flags.get(name)?.at(-1) ?? defaultOf(name);
      if (typeof value !== 'string') throw new Error(`flag table has no default for --${name}`);
      return value;
    },
    list(name) {
      const value = flags.get(name) ?? defaultOf(name) ?? [];
      return typeof value === 'string' ? [value] : value;
    },
    isOn: (name) => flags.get(name)?.at(-1) === 'true',
  };
}

/** True when argv asks for help (`-h`, `--help`, `--help=true`) before any `--`. */
export function wantsHelp(argv: readonly string[]): boolean {
  for (const token of argv) {
    if (token === '--') return false;
    if (token === '-h' || token === '--help' || token === '--help=true') return true;
  }
  return false;
}

// Help pages generated from the flag tables: every subcommand's `--help` has one shape (usage line, what it
// does, its flags with forms, meaning and default, then notes such as exit status), at most 100 columns wide.
import type { FlagSpec } from './flag-parser.ts';

export const PROGRAM = 'eks-pod-identity-agent';

export interface HelpPage {
  /** What follows the program name on the usage line, e.g. `initialize [flags]`. */
  readonly usage: string;
  /** Paragraphs saying what the subcommand does; each is wrapped. */
  readonly about: readonly string[];
  readonly flags: readonly FlagSpec[];
  /** Paragraphs after the flags (exit status, environment); each is wrapped. */
  readonly notes?: readonly string[];
}

const HELP_INDENT = '        ';
const HELP_WIDTH = 100;

/** Greedy word wrap so help reads in a 100-column terminal. */
function wrap(text: string, indent: string): string[] {
  const lines: string[] = [];
  let line = '';
  for (const word of text.split(' ')) {
    if (line && indent.length + line.length + 1 + word.length > HELP_WIDTH) {
      lines.push(indent + line);
      line = word;
    } else {
      line = line ? `${line} ${word}` : word;
    }
  }
  if (line) lines.push(indent + line);
  return lines;
}

function describeDefault(spec: FlagSpec): string {
  if (spec.defaultText) return spec.defaultText;
  if (spec.default === undefined) return '';
  return typeof spec.default === 'string' ? spec.default : spec.default.join(', ');
}

/** Help for every flag of a table: forms and placeholder on one line, then meaning and default. */
export function formatFlagsHelp(specs: readonly FlagSpec[]): string {
  return specs
    .map((s) => {
      const forms = `${s.short ? `-${s.short}, ` : '    '}--${s.name}${s.kind === 'boolean' ? '' : ` ${s.valueName ?? 'VALUE'}`}`;
      const dflt = describeDefault(s);
      const more = s.kind === 'list' ? ' Repeatable; commas also separate values.' : '';
      const text = `${s.help}${more}${dflt ? ` (default: ${dflt})` : ''}`;
      return [`  ${forms}`, ...wrap(text, HELP_INDENT)].join('\n');
    })
    .join('\n');
}

/** A subcommand's whole `--help` page, ending in a newline. */
export function formatHelp(page: HelpPage): string {
  const paragraphs = [
    `Usage: ${PROGRAM} ${page.usage}`,
    ...page.about.map((p) => wrap(p, '').join('\n')),
    `Flags:\n${formatFlagsHelp(page.flags)}`,
    ...(page.notes ?? []).map((p) => wrap(p, '').join('\n')),
  ];
  return `${paragraphs.join('\n\n')}\n`;
}

// Flags of the `initialize` subcommand: defaults beside them, one clear line for anything wrong. Parsed by the
// same pflag-style parser as `server`, with the public agent's root flag -v/--verbosity (the public chart
// renders `initialize -v trace`).
import { isIPv4, isIPv6 } from 'node:net';
import { type FlagSpec, type FlagValues, HELP_FLAG, readFlags, VERBOSITY_FLAG } from '../cli/flag-parser.ts';
import { formatHelp } from '../cli/help.ts';
import { UsageError } from '../cli/usage-error.ts';
import { type LogLevel, toLogLevel } from '../config/flag-values.ts';

export interface InitializeOptions {
  /** The link that holds the agent addresses. */
  readonly linkName: string;
  /** Kind of link to create; `dummy` as the public agent does. Falls back to `lo` when the kernel lacks it. */
  readonly linkType: string;
  readonly ipv4Address: string;
  /** Undefined when --skip-ipv6 is given. */
  readonly ipv6Address: string | undefined;
  /** The `ip` binary (iproute2). */
  readonly ipPath: string;
  /** -v/--verbosity: accepted like the public agent's; initialize prints the same lines at every level. */
  readonly logLevel: LogLevel;
  readonly help: boolean;
}

export const INITIALIZE_DEFAULTS = {
  linkName: 'pod-id-link0',
  linkType: 'dummy',
  ipv4Address: '169.254.170.23',
  ipv6Address: 'fd00:ec2::23',
  ipPath: 'ip',
} as const;

// Linux link names: at most 15 bytes (IFNAMSIZ - 1), no slash, colon or whitespace.
const LINK_NAME = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,14}$/;
const LINK_TYPE = /^[a-z][a-z0-9_]{0,31}$/;

const INITIALIZE_FLAGS = [
  {
    name: 'link-name',
    kind: 'value',
    valueName: 'NAME',
    default: INITIALIZE_DEFAULTS.linkName,
    help: 'Link that holds the addresses.',
  },
  {
    name: 'link-type',
    kind: 'value',
    valueName: 'TYPE',
    default: INITIALIZE_DEFAULTS.linkType,
    help: 'Kind of link to create; when the kernel cannot create it, the addresses go on the loopback link lo instead.',
  },
  {
    name: 'ipv4-address',
    kind: 'value',
    valueName: 'ADDR',
    default: INITIALIZE_DEFAULTS.ipv4Address,
    help: 'IPv4 address, added as /32.',
  },
  {
    name: 'ipv6-address',
    kind: 'value',
    valueName: 'ADDR',
    default: INITIALIZE_DEFAULTS.ipv6Address,
    help: 'IPv6 address, added as /128.',
  },
  { name: 'skip-ipv6', kind: 'boolean', help: 'Do not configure IPv6.' },
  {
    name: 'ip',
    kind: 'value',
    valueName: 'PATH',
    default: INITIALIZE_DEFAULTS.ipPath,
    help: 'The iproute2 binary (a bare name is looked up in PATH).',
  },
  { ...VERBOSITY_FLAG, help: `${VERBOSITY_FLAG.help} Accepted for the public chart's \`-v trace\`.` },
  HELP_FLAG,
] as const satisfies readonly FlagSpec[];

export const INITIALIZE_HELP = formatHelp({
  usage: 'initialize [flags]',
  about: [
    "Gives this node the agent's link-local addresses so pods can reach it (run once per boot, as an init " +
      'container with CAP_NET_ADMIN). Idempotent: it reads the current state first and changes only what is missing.',
  ],
  flags: INITIALIZE_FLAGS,
  notes: [
    'Exit status: 0 when the IPv4 address is in place (IPv6 problems are reported, not fatal); 1 when it is not; ' +
      '2 for bad flags.',
  ],
});

/** Parses `initialize` flags; throws UsageError with one line. */
export function parseInitializeOptions(argv: readonly string[]): InitializeOptions {
  let flags: FlagValues<(typeof INITIALIZE_FLAGS)[number]['name']>;
  try {
    flags = readFlags(argv, INITIALIZE_FLAGS);
  } catch (err) {
    if (err instanceof UsageError) throw new UsageError(`${err.message} (see --help)`);
    throw err;
  }
  const value = (name: 'link-name' | 'link-type' | 'ipv4-address' | 'ipv6-address' | 'ip' | 'verbosity') => {
    const v = flags.value(name);
    if (v === '') throw new UsageError(`flag --${name} needs a value`);
    return v;
  };

  const linkName = value('link-name');
  if (!LINK_NAME.test(linkName)) {
    throw new UsageError('--link-name must be 1-15 characters of letters, digits, "_", "." or "-"');
  }
  const linkType = value('link-type');
  if (!LINK_TYPE.test(linkType)) throw new UsageError('--link-type must be a link kind such as dummy');
  const ipv4Address = value('ipv4-address');
  if (!isIPv4(ipv4Address)) throw new UsageError('--ipv4-address must be an IPv4 address');
  const ipv6Address = value('ipv6-address').replace(/^\[(.*)\]$/, '$1');
  if (!isIPv6(ipv6Address)) throw new UsageError('--ipv6-address must be an IPv6 address');

  return {
    linkName,
    linkType,
    ipv4Address,
    ipv6Address: flags.isOn('skip-ipv6') ? undefined : ipv6Address,
    ipPath: value('ip'),
    logLevel: toLogLevel('--verbosity', value('verbosity')),
    help: flags.isOn('help'),
  };
}

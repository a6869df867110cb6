// Flags of the `initialize` subcommand: defaults beside them, one clear line for anything wrong. Parsed by the
// same pflag-style parser as `server`, with the public agent's root flag -v/--verbosity (the public chart
// renders `initialize -v trace`).
import { isIPv4, isIPv6 } from 'node:net';
import { type FlagSpec, parseFlags, VERBOSITY_FLAG } from '../cli/flag-parser.ts';
import { ConfigError } from '../config/config-error.ts';
import { toLogLevel } from '../config/flag-values.ts';
import type { LogLevel } from '../config/server-config.ts';

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

export const INITIALIZE_HELP = `Usage: eks-pod-identity-agent initialize [flags]

Gives this node the agent's link-local addresses so pods can reach it (run once per boot, as an init
container with CAP_NET_ADMIN). Idempotent: it reads the current state first and changes only what is missing.

Flags:
  --link-name NAME       link that holds the addresses (default ${INITIALIZE_DEFAULTS.linkName})
  --link-type TYPE       kind of link to create (default ${INITIALIZE_DEFAULTS.linkType}); when the kernel
                         cannot create it, the addresses go on the loopback link lo instead
  --ipv4-address ADDR    IPv4 address, added as /32 (default ${INITIALIZE_DEFAULTS.ipv4Address})
  --ipv6-address ADDR    IPv6 address, added as /128 (default ${INITIALIZE_DEFAULTS.ipv6Address})
  --skip-ipv6            do not configure IPv6
  --ip PATH              iproute2 binary (default ${INITIALIZE_DEFAULTS.ipPath}, from PATH)
  -v, --verbosity LEVEL  log level, as for server (accepted for the public chart's \`-v trace\`)
  -h, --help             show this help

Exit status: 0 when the IPv4 address is in place (IPv6 problems are reported, not fatal); 1 when it is not;
2 for bad flags.
`;

export class InitializeUsageError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'InitializeUsageError';
  }
}

// Linux link names: at most 15 bytes (IFNAMSIZ - 1), no slash, colon or whitespace.
const LINK_NAME = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,14}$/;
const LINK_TYPE = /^[a-z][a-z0-9_]{0,31}$/;

const INITIALIZE_FLAGS = [
  { name: 'link-name', kind: 'value', valueName: 'NAME', help: '' },
  { name: 'link-type', kind: 'value', valueName: 'TYPE', help: '' },
  { name: 'ipv4-address', kind: 'value', valueName: 'ADDR', help: '' },
  { name: 'ipv6-address', kind: 'value', valueName: 'ADDR', help: '' },
  { name: 'skip-ipv6', kind: 'boolean', help: '' },
  { name: 'ip', kind: 'value', valueName: 'PATH', help: '' },
  VERBOSITY_FLAG,
  { name: 'help', short: 'h', kind: 'boolean', help: '' },
] as const satisfies readonly FlagSpec[];

export function parseInitializeOptions(argv: readonly string[]): InitializeOptions {
  let flags: ReturnType<typeof parseFlags>;
  try {
    flags = parseFlags(argv, INITIALIZE_FLAGS);
  } catch (err) {
    if (err instanceof ConfigError) throw new InitializeUsageError(`${err.message} (see --help)`);
    throw err;
  }
  const value = (name: string): string | undefined => {
    const v = flags.get(name)?.at(-1);
    if (v === '') throw new InitializeUsageError(`flag --${name} needs a value`);
    return v;
  };
  const bool = (name: string) => flags.get(name)?.at(-1) === 'true';

  const linkName = value('link-name') ?? INITIALIZE_DEFAULTS.linkName;
  if (!LINK_NAME.test(linkName)) {
    throw new InitializeUsageError('--link-name must be 1-15 characters of letters, digits, "_", "." or "-"');
  }
  const linkType = value('link-type') ?? INITIALIZE_DEFAULTS.linkType;
  if (!LINK_TYPE.test(linkType))
    throw new InitializeUsageError('--link-type must be a link kind such as dummy');
  const ipv4Address = value('ipv4-address') ?? INITIALIZE_DEFAULTS.ipv4Address;
  if (!isIPv4(ipv4Address)) throw new InitializeUsageError('--ipv4-address must be an IPv4 address');
  const rawIpv6 = value('ipv6-address') ?? INITIALIZE_DEFAULTS.ipv6Address;
  const ipv6Address = rawIpv6.replace(/^\[(.*)\]$/, '$1');
  if (!isIPv6(ipv6Address)) throw new InitializeUsageError('--ipv6-address must be an IPv6 address');
  let logLevel: LogLevel;
  try {
    logLevel = toLogLevel('--verbosity', value('verbosity') ?? VERBOSITY_FLAG.default);
  } catch (err) {
    throw new InitializeUsageError((err as Error).message);
  }

  return {
    linkName,
    linkType,
    ipv4Address,
    ipv6Address: bool('skip-ipv6') ? undefined : ipv6Address,
    ipPath: value('ip') ?? INITIALIZE_DEFAULTS.ipPath,
    logLevel,
    help: bool('help'),
  };
}

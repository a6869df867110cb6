// Flags of the `initialize` subcommand: defaults beside them, one clear line for anything wrong.
import { isIPv4, isIPv6 } from 'node:net';

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
const VALUE_FLAGS = new Set(['--link-name', '--link-type', '--ipv4-address', '--ipv6-address', '--ip']);

export function parseInitializeOptions(argv: readonly string[]): InitializeOptions {
  const values = new Map<string, string>();
  let skipIpv6 = false;
  let help = false;
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    const eq = arg.indexOf('=');
    const name = arg.startsWith('--') && eq > 0 ? arg.slice(0, eq) : arg;
    if (name === '-h' || name === '--help') help = true;
    else if (name === '--skip-ipv6') skipIpv6 = true;
    else if (VALUE_FLAGS.has(name)) {
      const value = eq > 0 && arg.startsWith('--') ? arg.slice(eq + 1) : argv[++i];
      if (value === undefined || value === '') throw new InitializeUsageError(`flag ${name} needs a value`);
      values.set(name, value);
    } else throw new InitializeUsageError(`unknown flag ${JSON.stringify(arg.slice(0, 64))} (see --help)`);
  }

  const linkName = values.get('--link-name') ?? INITIALIZE_DEFAULTS.linkName;
  if (!LINK_NAME.test(linkName)) {
    throw new InitializeUsageError('--link-name must be 1-15 characters of letters, digits, "_", "." or "-"');
  }
  const linkType = values.get('--link-type') ?? INITIALIZE_DEFAULTS.linkType;
  if (!LINK_TYPE.test(linkType))
    throw new InitializeUsageError('--link-type must be a link kind such as dummy');
  const ipv4Address = values.get('--ipv4-address') ?? INITIALIZE_DEFAULTS.ipv4Address;
  if (!isIPv4(ipv4Address)) throw new InitializeUsageError('--ipv4-address must be an IPv4 address');
  const rawIpv6 = values.get('--ipv6-address') ?? INITIALIZE_DEFAULTS.ipv6Address;
  const ipv6Address = rawIpv6.replace(/^\[(.*)\]$/, '$1');
  if (!isIPv6(ipv6Address)) throw new InitializeUsageError('--ipv6-address must be an IPv6 address');

  return {
    linkName,
    linkType,
    ipv4Address,
    ipv6Address: skipIpv6 ? undefined : ipv6Address,
    ipPath: values.get('--ip') ?? INITIALIZE_DEFAULTS.ipPath,
    help,
  };
}

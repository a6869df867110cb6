// Reads a link's current state from `ip -j addr show dev NAME`, so every change is decided from what is there.
import { canonicalIPv6 } from '../shared/canonical-ipv6.ts';
import { firstLine, type IpRunner } from './ip-runner.ts';

export interface LinkAddress {
  readonly family: 'inet' | 'inet6';
  readonly local: string;
  readonly prefixLength: number;
}

export interface LinkState {
  readonly name: string;
  /** Administratively up (the UP flag), which is what makes its addresses usable. */
  readonly up: boolean;
  readonly addresses: readonly LinkAddress[];
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function parseAddress(raw: unknown): LinkAddress | undefined {
  if (!isRecord(raw)) return undefined;
  const { family, local, prefixlen } = raw;
  if (
    (family !== 'inet' && family !== 'inet6') ||
    typeof local !== 'string' ||
    typeof prefixlen !== 'number'
  ) {
    return undefined;
  }
  return { family, local, prefixLength: prefixlen };
}

/** Parses `ip -j addr show dev NAME` output; throws with one clear line when it is not what iproute2 prints. */
export function parseLinkState(json: string): LinkState {
  let parsed: unknown;
  try {
    parsed = JSON.parse(json);
  } catch {
    throw new Error('ip -j addr printed something that is not JSON (iproute2 too old for -j?)');
  }
  const first = Array.isArray(parsed) ? parsed[0] : undefined;
  if (!isRecord(first) || typeof first.ifname !== 'string') {
    throw new Error('ip -j addr printed no link');
  }
  const flags = Array.isArray(first.flags) ? first.flags : [];
  const addrInfo = Array.isArray(first.addr_info) ? first.addr_info : [];
  const addresses = addrInfo.map(parseAddress).filter((a): a is LinkAddress => a !== undefined);
  return { name: first.ifname, up: flags.includes('UP'), addresses };
}

/** The link's state, or undefined when no such link exists. */
export async function readLinkState(ip: IpRunner, name: string): Promise<LinkState | undefined> {
  const result = await ip(['-j', 'addr', 'show', 'dev', name]);
  if (result.exitCode !== 0) {
    if (/does not exist/i.test(result.stderr)) return undefined;
    throw new Error(`cannot read link ${name}: ${firstLine(result.stderr)}`);
  }
  return parseLinkState(result.stdout);
}

/** Compares addresses the way the kernel does (IPv6 text forms vary in case and zero compression). */
export function hasAddress(state: LinkState, address: string, prefixLength: number): boolean {
  const wanted = canonicalIPv6(address);
  return state.addresses.some((a) => a.prefixLength === prefixLength && canonicalIPv6(a.local) === wanted);
}

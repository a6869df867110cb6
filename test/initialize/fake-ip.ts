// An in-memory stand-in for iproute2 (links, flags, addresses, local routes), for tests that need kernels we lack.
import type { IpResult, IpRunner } from '../../src/initialize/ip-runner.ts';

interface FakeLink {
  up: boolean;
  kind: string;
  addresses: Array<{ family: 'inet' | 'inet6'; local: string; prefixlen: number }>;
}

export interface FakeIpOptions {
  /** Link kinds the fake kernel can create. */
  kinds?: readonly string[];
  ipv6Disabled?: boolean;
  /** Every change fails as without CAP_NET_ADMIN. */
  readOnly?: boolean;
  /** The first N route checks of an IPv6 address answer `unicast`, as while the kernel keeps it tentative. */
  ipv6RouteLagChecks?: number;
}

export interface FakeIp {
  readonly run: IpRunner;
  readonly links: Map<string, FakeLink>;
  /** Every command that would change the kernel's state. */
  readonly mutations: string[][];
}

const ok = (stdout = ''): IpResult => ({ exitCode: 0, stdout, stderr: '' });
const fail = (stderr: string): IpResult => ({ exitCode: 2, stdout: '', stderr: `${stderr}\n` });

export function createFakeIp(options: FakeIpOptions = {}): FakeIp {
  const kinds = new Set(options.kinds ?? ['dummy']);
  const links = new Map<string, FakeLink>([['lo', { up: true, kind: 'loopback', addresses: [] }]]);
  const mutations: string[][] = [];
  let ipv6RouteChecks = 0;

  function mutate(args: readonly string[]): IpResult {
    mutations.push([...args]);
    if (options.readOnly) return fail('RTNETLINK answers: Operation not permitted');
    const words = args.filter((a) => a !== '-6');
    if (words[0] === 'link' && words[1] === 'add') {
      const [name, kind] = [words[3]!, words[5]!];
      if (!kinds.has(kind)) return fail('Error: Unknown device type.');
      if (links.has(name)) return fail('RTNETLINK answers: File exists');
      links.set(name, { up: false, kind, addresses: [] });
      return ok();
    }
    if (words[0] === 'link' && words[1] === 'set') {
      const link = links.get(words[3]!);
      if (!link) return fail(`Cannot find device "${words[3]}"`);
      link.up = true;
      return ok();
    }
    if (words[0] === 'addr' && words[1] === 'add') {
      const [cidr, name] = [words[2]!, words[4]!];
      const link = links.get(name);
      if (!link) return fail(`Cannot find device "${name}"`);
      const [local, prefix] = cidr.split('/') as [string, string];
      const family = local.includes(':') ? 'inet6' : 'inet';
      if (family === 'inet6' && options.ipv6Disabled)
        return fail('Error: ipv6: IPv6 is disabled on this device.');
      if (link.addresses.some((a) => a.local === local))
        return fail('Error: ipv4: Address already assigned.');
      link.addresses.push({ family, local, prefixlen: Number(prefix) });
      return ok();
    }
    return fail(`fake ip: unsupported command ${args.join(' ')}`);
  }

  async function run(args: readonly string[]): Promise<IpResult> {
    const line = args.join(' ');
    const show = /^-j addr show dev (\S+)$/.exec(line);
    if (show) {
      const link = links.get(show[1]!);
      if (!link) return { exitCode: 1, stdout: '', stderr: `Device "${show[1]}" does not exist.\n` };
      const flags = link.up ? ['UP', 'LOWER_UP'] : [];
      return ok(JSON.stringify([{ ifindex: 1, ifname: show[1], flags, addr_info: link.addresses }]));
    }
    const route = /^-j -[46] route get (\S+)$/.exec(line);
    if (route) {
      if (route[1]!.includes(':') && ipv6RouteChecks++ < (options.ipv6RouteLagChecks ?? 0)) {
        return ok(JSON.stringify([{ type: 'unicast', dst: route[1] }]));
      }
      const local = [...links.values()].some((l) => l.up && l.addresses.some((a) => a.local === route[1]));
      return ok(JSON.stringify([{ type: local ? 'local' : 'unicast', dst: route[1] }]));
    }
    return mutate(args);
  }

  return { run, links, mutations };
}

// The idempotent steps of `initialize`: a link, up, with the agent addresses, and the kernel routing them locally.
import { readFileSync } from 'node:fs';
import { isIPv6Literal } from '../shared/host-port.ts';
import { familyFlag, firstLine, type IpRunner } from './ip-runner.ts';
import { hasAddress, type LinkState, readLinkState } from './link-state.ts';

export interface AddressOutcome {
  readonly address: string;
  readonly prefixLength: number;
  readonly ok: boolean;
  /** What happened, in a few words (no secrets are involved here, but keep it one line). */
  readonly detail: string;
}

export interface SetupResult {
  /** The link that holds the addresses: the requested one, or `lo` after a fallback. */
  readonly device: string;
  /** `link` when the requested link is used; `loopback-fallback` when its kind could not be created. */
  readonly mode: 'link' | 'loopback-fallback';
  readonly changes: number;
  readonly ipv4: AddressOutcome;
  readonly ipv6: AddressOutcome | undefined;
}

export interface SetupRequest {
  readonly linkName: string;
  readonly linkType: string;
  readonly ipv4Address: string;
  readonly ipv6Address: string | undefined;
}

export interface AddressSetupOptions {
  ip: IpRunner;
  /** Receives one line per action. */
  print: (line: string) => void;
  /** Reads a /proc/sys file, undefined when absent; injectable so the IPv6 hint is testable. */
  readSysctl?: (path: string) => string | undefined;
  /** Waits between route checks while a new address is not yet routed locally; injectable for tests. */
  wait?: (ms: number) => Promise<void>;
}

function readSysctlFile(path: string): string | undefined {
  try {
    return readFileSync(path, 'utf8').trim();
  } catch {
    return undefined;
  }
}

const FALLBACK_DEVICE = 'lo';
// What iproute2 says when the kernel lacks the link kind (e.g. no dummy module); other errors are real failures.
const MISSING_KIND = /unknown device type|not supported|no such device|module/i;

/** What one run's steps share: the `ip` runner, the progress printer, sysctl reads, and the changes made. */
interface SetupContext {
  readonly ip: IpRunner;
  readonly print: (line: string) => void;
  readonly readSysctl: (path: string) => string | undefined;
  readonly wait: (ms: number) => Promise<void>;
  changes: number;
}

// An IPv6 address stays tentative, without its local route, until the kernel sees the link operationally up,
// and that news (linkwatch) can come a second or more after `ip link set up` on a busy node: a route that is
// not local yet is asked again for up to ROUTE_WAIT_MS before it counts as a failure.
const ROUTE_WAIT_MS = 3000;
const ROUTE_POLL_MS = 100;

async function ensureLink(
  ctx: SetupContext,
  request: SetupRequest,
): Promise<{ state: LinkState; mode: SetupResult['mode'] }> {
  const existing = await readLinkState(ctx.ip, request.linkName);
  if (existing) {
    ctx.print(`link ${request.linkName}: present`);
    return { state: existing, mode: 'link' };
  }
  const added = await ctx.ip(['link', 'add', 'name', request.linkName, 'type', request.linkType]);
  const created = await readLinkState(ctx.ip, request.linkName);
  if (created) {
    if (added.exitCode === 0) ctx.changes++;
    ctx.print(`link ${request.linkName}: created (type ${request.linkType})`);
    return { state: created, mode: 'link' };
  }
  if (!MISSING_KIND.test(added.stderr)) {
    throw new Error(`cannot create link ${request.linkName}: ${firstLine(added.stderr)}`);
  }
  // Any address on any local link is delivered to this node, so lo serves pods the same way; only the
  // dedicated link's name (and its easy cleanup) is lost.
  ctx.print(
    `link ${request.linkName}: cannot create a ${request.linkType} link (${firstLine(added.stderr)}); ` +
      `using ${FALLBACK_DEVICE} instead`,
  );
  const loopback = await readLinkState(ctx.ip, FALLBACK_DEVICE);
  if (!loopback) throw new Error(`fallback link ${FALLBACK_DEVICE} does not exist`);
  return { state: loopback, mode: 'loopback-fallback' };
}

async function ensureUp(ctx: SetupContext, state: LinkState): Promise<void> {
  if (state.up) {
    ctx.print(`link ${state.name}: up`);
    return;
  }
  const result = await ctx.ip(['link', 'set', 'dev', state.name, 'up']);
  if (result.exitCode !== 0) throw new Error(`cannot set link ${state.name} up: ${firstLine(result.stderr)}`);
  ctx.changes++;
  ctx.print(`link ${state.name}: set up`);
}

function ipv6Hint(ctx: SetupContext, device: string): string {
  if (ctx.readSysctl('/proc/sys/net/ipv6/conf/all/disable_ipv6') === undefined)
    return '; this kernel has no IPv6';
  if (ctx.readSysctl(`/proc/sys/net/ipv6/conf/${device}/disable_ipv6`) === '1') {
    return `; IPv6 is disabled on ${device} (net.ipv6.conf.${device}.disable_ipv6=1)`;
  }
  return '';
}

async function ensureAddress(ctx: SetupContext, state: LinkState, address: string): Promise<AddressOutcome> {
  const v6 = isIPv6Literal(address);
  const prefixLength = v6 ? 128 : 32;
  const cidr = `${address}/${prefixLength}`;
  const label = `address ${cidr} on ${state.name}`;
  if (hasAddress(state, address, prefixLength)) {
    ctx.print(`${label}: present`);
    return verifyLocalRoute(ctx, address, prefixLength, 'present');
  }
  // nodad: duplicate address detection would keep the address unusable ("tentative") for about a second,
  // and the server starts right after us; the address is ours by design, so there is nothing to detect.
  const args = v6
    ? ['-6', 'addr', 'add', cidr, 'dev', state.name, 'nodad']
    : ['addr', 'add', cidr, 'dev', state.name];
  const result = await ctx.ip(args);
  if (result.exitCode !== 0 && !/exists/i.test(result.stderr)) {
    const detail = `cannot add: ${firstLine(result.stderr)}${v6 ? ipv6Hint(ctx, state.name) : ''}`;
    ctx.print(`${label}: FAILED: ${detail}`);
    return { address, prefixLength, ok: false, detail };
  }
  if (result.exitCode === 0) ctx.changes++;
  ctx.print(`${label}: added`);
  return verifyLocalRoute(ctx, address, prefixLength, 'added');
}

// The kernel adds a route of type local for each local address; checking it proves the address is
// routable to this node (and catches a link that is down or an address the kernel did not accept).
async function verifyLocalRoute(
  ctx: SetupContext,
  address: string,
  prefixLength: number,
  how: string,
): Promise<AddressOutcome> {
  let route = await routeType(ctx, address);
  for (let waited = 0; !route.local && waited < ROUTE_WAIT_MS; waited += ROUTE_POLL_MS) {
    await ctx.wait(ROUTE_POLL_MS);
    route = await routeType(ctx, address);
  }
  if (route.local) {
    ctx.print(`route to ${address}: local (delivered to this node)`);
    return { address, prefixLength, ok: true, detail: how };
  }
  const detail = `route to ${address} is not local after ${ROUTE_WAIT_MS / 1000} s (${route.detail})`;
  ctx.print(`route to ${address}: FAILED: ${detail}`);
  return { address, prefixLength, ok: false, detail };
}

async function routeType(ctx: SetupContext, address: string): Promise<{ local: boolean; detail: string }> {
  const result = await ctx.ip(['-j', familyFlag(address), 'route', 'get', address]);
  if (result.exitCode !== 0) return { local: false, detail: firstLine(result.stderr) };
  let type: unknown;
  try {
    type = (JSON.parse(result.stdout) as Array<{ type?: unknown }>)[0]?.type;
  } catch {
    type = undefined;
  }
  return { local: type === 'local', detail: `type ${String(type)}` };
}

export function createAddressSetup(options: AddressSetupOptions) {
  const { ip, print } = options;
  const readSysctl = options.readSysctl ?? readSysctlFile;
  const wait = options.wait ?? ((ms: number) => Bun.sleep(ms));
  return {
    async run(request: SetupRequest): Promise<SetupResult> {
      const ctx: SetupContext = { ip, print, readSysctl, wait, changes: 0 };
      const { state, mode } = await ensureLink(ctx, request);
      await ensureUp(ctx, state);
      const ipv4 = await ensureAddress(ctx, state, request.ipv4Address);
      const ipv6 =
        request.ipv6Address === undefined ? undefined : await ensureAddress(ctx, state, request.ipv6Address);
      return { device: state.name, mode, changes: ctx.changes, ipv4, ipv6 };
    },
  };
}

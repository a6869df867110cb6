// `initialize` decisions against a fake kernel: dummy link, lo fallback, idempotency, IPv6 and permission failures.
import { describe, expect, test } from 'bun:test';
import { type InitializeIo, runInitialize } from '../../src/initialize/initialize.ts';
import { createFakeIp, type FakeIpOptions } from './fake-ip.ts';

async function run(argv: string[], fake: ReturnType<typeof createFakeIp>, io: Partial<InitializeIo> = {}) {
  const out: string[] = [];
  const err: string[] = [];
  const code = await runInitialize(argv, {
    ip: fake.run,
    out: (l) => out.push(l),
    err: (l) => err.push(l),
    readSysctl: () => '0',
    ...io,
  });
  return { code, out, err, summary: out.at(-1) ?? '' };
}

function addressesOf(fake: ReturnType<typeof createFakeIp>, link: string): string[] {
  return (fake.links.get(link)?.addresses ?? []).map((a) => `${a.local}/${a.prefixlen}`);
}

const kernel = (options: FakeIpOptions = {}) => createFakeIp(options);

describe('runInitialize with a fake kernel', () => {
  test('creates a dummy link, brings it up, adds both addresses; a second run changes nothing', async () => {
    const fake = kernel({ kinds: ['dummy'] });
    const first = await run([], fake);
    expect(first.code).toBe(0);
    expect(fake.links.get('pod-id-link0')).toMatchObject({ kind: 'dummy', up: true });
    expect(addressesOf(fake, 'pod-id-link0')).toEqual(['169.254.170.23/32', 'fd00:ec2::23/128']);
    expect(first.out).toContain('link pod-id-link0: created (type dummy)');
    expect(first.summary).toMatch(
      /^initialize: ok: on link pod-id-link0; .*IPv6 fd00:ec2::23\/128 ready; 4 change/,
    );
    // IPv6 goes in without duplicate address detection so the server can bind it at once.
    expect(fake.mutations).toContainEqual([
      '-6',
      'addr',
      'add',
      'fd00:ec2::23/128',
      'dev',
      'pod-id-link0',
      'nodad',
    ]);

    const before = fake.mutations.length;
    const second = await run([], fake);
    expect(second.code).toBe(0);
    expect(fake.mutations.length).toBe(before);
    expect(second.summary).toMatch(/0 change\(s\)$/);
    expect(second.err).toEqual([]);
  });

  test('falls back to lo when the kernel cannot create dummy links, and says so', async () => {
    const fake = kernel({ kinds: [] });
    const result = await run([], fake);
    expect(result.code).toBe(0);
    expect(fake.links.has('pod-id-link0')).toBe(false);
    expect(addressesOf(fake, 'lo')).toEqual(['169.254.170.23/32', 'fd00:ec2::23/128']);
    expect(result.out[0]).toBe(
      'link pod-id-link0: cannot create a dummy link (Unknown device type.); using lo instead',
    );
    expect(result.summary).toContain('on lo (fallback: no dummy links)');
  });

  test('IPv6 disabled: IPv4 still succeeds, IPv6 is one clear warning line', async () => {
    const fake = kernel({ ipv6Disabled: true });
    const result = await run([], fake, {
      readSysctl: (path) => (path.includes('disable_ipv6') ? '1' : undefined),
    });
    expect(result.code).toBe(0);
    expect(addressesOf(fake, 'pod-id-link0')).toEqual(['169.254.170.23/32']);
    expect(result.err).toHaveLength(1);
    expect(result.err[0]).toMatch(
      /^initialize: warning: IPv6 address fd00:ec2::23 not configured: .*IPv6 is disabled/,
    );
    expect(result.summary).toMatch(/IPv4 169\.254\.170\.23\/32 ready; IPv6 fd00:ec2::23\/128 unavailable/);
  });

  test('an IPv6 address the kernel routes locally only a moment later is waited for, not reported unavailable', async () => {
    const fake = kernel({ ipv6RouteLagChecks: 5 });
    const waits: number[] = [];
    const result = await run([], fake, { wait: async (ms) => void waits.push(ms) });
    expect(result.code).toBe(0);
    expect(result.err).toEqual([]);
    expect(waits).toEqual([100, 100, 100, 100, 100]);
    expect(result.summary).toMatch(/IPv6 fd00:ec2::23\/128 ready; 4 change/);
  });

  test('an IPv6 route that never becomes local is reported after the bounded wait (3 s), IPv4 still ready', async () => {
    const fake = kernel({ ipv6RouteLagChecks: 1000 });
    const waits: number[] = [];
    const result = await run([], fake, { wait: async (ms) => void waits.push(ms) });
    expect(result.code).toBe(0);
    expect(waits.reduce((a, b) => a + b, 0)).toBe(3000);
    expect(result.summary).toMatch(
      /IPv4 169\.254\.170\.23\/32 ready; IPv6 fd00:ec2::23\/128 unavailable \(route to fd00:ec2::23 is not local after 3 s \(type unicast\)\)/,
    );
  });

  test('--skip-ipv6 never touches IPv6', async () => {
    const fake = kernel();
    const result = await run(['--skip-ipv6'], fake);
    expect(result.code).toBe(0);
    expect(addressesOf(fake, 'pod-id-link0')).toEqual(['169.254.170.23/32']);
    expect(fake.mutations.some((m) => m.includes('-6'))).toBe(false);
    expect(result.summary).toContain('IPv6 skipped');
  });

  test('without CAP_NET_ADMIN it fails with exit 1 and the kernel reason, no fallback', async () => {
    const fake = kernel({ readOnly: true });
    const result = await run([], fake);
    expect(result.code).toBe(1);
    expect(result.err).toEqual([
      'initialize: failed: cannot create link pod-id-link0: RTNETLINK answers: Operation not permitted',
    ]);
  });

  test('an existing link that is down is brought up, and its addresses are kept', async () => {
    const fake = kernel();
    fake.links.set('pod-id-link0', {
      up: false,
      kind: 'dummy',
      addresses: [{ family: 'inet', local: '169.254.170.23', prefixlen: 32 }],
    });
    const result = await run([], fake);
    expect(result.code).toBe(0);
    expect(fake.mutations.map((m) => m.slice(0, 2).join(' '))).toEqual(['link set', '-6 addr']);
    expect(result.out).toContain('address 169.254.170.23/32 on pod-id-link0: present');
  });

  test('bad flags exit 2 with one line; --help prints usage and exits 0 without touching the kernel', async () => {
    const fake = kernel();
    const bad = await run(['--ipv4-address', 'nope'], fake);
    expect(bad.code).toBe(2);
    expect(bad.err).toEqual(['initialize: --ipv4-address must be an IPv4 address']);
    const help = await run(['--help'], fake);
    expect(help.code).toBe(0);
    expect(help.out[0]).toStartWith('Usage: eks-pod-identity-agent initialize');
    expect(fake.mutations).toEqual([]);
  });

  test('a missing ip binary is a clear failure', async () => {
    const errors: string[] = [];
    const result = await runInitialize(['--ip', '/nonexistent/ip'], {
      out: () => {},
      err: (l) => errors.push(l),
    });
    expect(result).toBe(1);
    expect(errors[0]).toMatch(/^initialize: failed: .*\/nonexistent\/ip.*iproute2/);
  });
});

// Parsing `ip -j addr show` output (the real iproute2 6.x shape) and comparing addresses like the kernel does.
import { describe, expect, test } from 'bun:test';
import { hasAddress, parseLinkState } from '../../src/initialize/link-state.ts';

// Captured from iproute2 6.1 for a bridge holding both agent addresses.
const REAL_OUTPUT =
  '[{"ifindex":2,"ifname":"pod-id-link0","flags":["BROADCAST","MULTICAST","UP","LOWER_UP"],"mtu":1500,' +
  '"operstate":"UNKNOWN","addr_info":[{"family":"inet","local":"169.254.170.23","prefixlen":32,"scope":"global"},' +
  '{"family":"inet6","local":"fd00:ec2::23","prefixlen":128,"scope":"global","nodad":true},' +
  '{"family":"inet6","local":"fe80::74d2:7bff:fedc:6c39","prefixlen":64,"scope":"link"}]}]';

describe('parseLinkState', () => {
  test('reads name, UP flag and addresses', () => {
    const state = parseLinkState(REAL_OUTPUT);
    expect(state.name).toBe('pod-id-link0');
    expect(state.up).toBe(true);
    expect(state.addresses).toHaveLength(3);
    expect(state.addresses[0]).toEqual({ family: 'inet', local: '169.254.170.23', prefixLength: 32 });
  });

  test('a link without UP is down; address entries of unknown shape are skipped', () => {
    const state = parseLinkState(
      '[{"ifname":"x","flags":["BROADCAST"],"addr_info":[{"family":"inet"},{"family":"link","local":"a","prefixlen":1}]}]',
    );
    expect(state.up).toBe(false);
    expect(state.addresses).toEqual([]);
  });

  test.each(['not json', '[]', '{}', '[{"flags":[]}]'])('%j fails with a clear message', (text) => {
    expect(() => parseLinkState(text)).toThrow(/ip -j addr printed/);
  });
});

describe('hasAddress', () => {
  const state = parseLinkState(REAL_OUTPUT);
  test.each([
    ['169.254.170.23', 32, true],
    ['169.254.170.23', 24, false],
    ['169.254.170.24', 32, false],
    ['fd00:ec2::23', 128, true],
    ['FD00:0EC2:0:0:0:0:0:23', 128, true],
    ['fd00:ec2::24', 128, false],
  ])('%s/%d -> %p', (address, prefix, expected) => {
    expect(hasAddress(state, address, prefix)).toBe(expected);
  });
});

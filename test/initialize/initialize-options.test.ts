// Flags of `initialize`: defaults, both flag spellings, and one clear error for each kind of bad input.

import { describe, expect, test } from 'bun:test';
import { UsageError } from '../../src/cli/usage-error.ts';
import { INITIALIZE_DEFAULTS, parseInitializeOptions } from '../../src/initialize/initialize-options.ts';

describe('parseInitializeOptions', () => {
  test('defaults match the public agent', () => {
    expect(parseInitializeOptions([])).toEqual({
      linkName: 'pod-id-link0',
      linkType: 'dummy',
      ipv4Address: '169.254.170.23',
      ipv6Address: 'fd00:ec2::23',
      ipPath: 'ip',
      logLevel: 'info',
      help: false,
    });
    expect(INITIALIZE_DEFAULTS.linkName).toBe('pod-id-link0');
  });

  test('accepts "--flag value" and "--flag=value", brackets around IPv6, --skip-ipv6 and --help', () => {
    const options = parseInitializeOptions([
      '--link-name=agent0',
      '--link-type',
      'bridge',
      '--ipv4-address',
      '169.254.170.99',
      '--ip=/sbin/ip',
      '--skip-ipv6',
      '-h',
    ]);
    expect(options).toMatchObject({ linkName: 'agent0', linkType: 'bridge', ipv4Address: '169.254.170.99' });
    expect(options.ipv6Address).toBeUndefined();
    expect(options.ipPath).toBe('/sbin/ip');
    expect(options.help).toBe(true);
    expect(parseInitializeOptions(['--ipv6-address', '[fd00:ec2::99]']).ipv6Address).toBe('fd00:ec2::99');
  });

  test.each([
    [['--bogus'], /unknown flag "--bogus"/],
    [['--link-name'], /--link-name needs a value/],
    [['--link-name='], /--link-name needs a value/],
    [['--link-name', 'a-name-that-is-far-too-long'], /1-15 characters/],
    [['--link-name', 'bad/name'], /1-15 characters/],
    [['--link-type', 'Dummy; rm'], /link kind/],
    [['--ipv4-address', '169.254.170.300'], /IPv4 address/],
    [['--ipv4-address', 'fd00::1'], /IPv4 address/],
    [['--ipv6-address', '169.254.170.23'], /IPv6 address/],
  ])('%j is rejected', (argv, message) => {
    expect(() => parseInitializeOptions(argv)).toThrow(UsageError);
    expect(() => parseInitializeOptions(argv)).toThrow(message);
  });
});

import { expect, test } from 'bun:test';
import { canonicalIPv6 } from '../../src/shared/canonical-ipv6.ts';

test.each([
  ['fd00:ec2::23', 'fd00:ec2::23'],
  ['FD00:EC2:0:0:0:0:0:23', 'fd00:ec2::23'],
  ['fd00:0ec2:0000::0023', 'fd00:ec2::23'],
  ['0:0:0:0:0:0:0:1', '::1'],
  ['169.254.170.23', '169.254.170.23'],
  ['Localhost', 'localhost'],
  ['fd00::zz', 'fd00::zz'],
])('canonicalIPv6(%p) is %p', (input, expected) => {
  expect(canonicalIPv6(input)).toBe(expected);
});

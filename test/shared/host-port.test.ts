import { expect, test } from 'bun:test';
import { bracketHost, hostPort, isIPv6Literal, reachableHost } from '../../src/shared/host-port.ts';

test.each([
  ['::1', 2703, '[::1]:2703'],
  ['[::1]', 2703, '[::1]:2703'],
  ['fd00:ec2::23', 80, '[fd00:ec2::23]:80'],
  ['169.254.170.23', 80, '169.254.170.23:80'],
  ['localhost', 2703, 'localhost:2703'],
])('hostPort(%p, %p) is %p', (host, port, expected) => {
  expect(hostPort(host, port)).toBe(expected);
});

test('bracketHost brackets IPv6 literals once, nothing else', () => {
  expect(bracketHost('fd00:ec2::23')).toBe('[fd00:ec2::23]');
  expect(bracketHost('[fd00:ec2::23]')).toBe('[fd00:ec2::23]');
  expect(bracketHost('127.0.0.1')).toBe('127.0.0.1');
  expect(isIPv6Literal('[::1]')).toBe(true);
  expect(isIPv6Literal('example.com')).toBe(false);
});

test('wildcard bind addresses are reached through loopback', () => {
  expect(reachableHost('0.0.0.0')).toBe('127.0.0.1');
  expect(reachableHost('')).toBe('127.0.0.1');
  expect(reachableHost('::')).toBe('::1');
  expect(hostPort(reachableHost('::'), 2705)).toBe('[::1]:2705');
  expect(reachableHost('169.254.170.23')).toBe('169.254.170.23');
});

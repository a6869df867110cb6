// The Node parts --startup-taint reads, and the flag's taint parser, on hostile input: anything that is not a
// Node with a resourceVersion and well-formed taints is a retryable "malformed" KubeApiError (never a crash,
// never a patch built from it); the parser refuses bad keys with a UsageError and nothing else.
import { describe, expect, test } from 'bun:test';
import fc from 'fast-check';
import { UsageError } from '../../src/cli/usage-error.ts';
import { KubeApiError } from '../../src/kube/api-client.ts';
import { toTaintSelector } from '../../src/kube/kube-config.ts';
import { matchesTaint, readNodeTaints } from '../../src/kube/node-taints.ts';
import { isRetryable } from '../../src/kube/startup-taint.ts';

const node = (over: Record<string, unknown> = {}) => ({
  kind: 'Node',
  metadata: { name: 'n1', resourceVersion: '42' },
  spec: { taints: [{ key: 'k', effect: 'NoSchedule' }] },
  ...over,
});

describe('readNodeTaints', () => {
  test('a Node: name, resourceVersion and taints as they came (unknown members kept)', () => {
    const taint = { key: 'k', value: 'v', effect: 'NoExecute', timeAdded: '2026-12-01T00:00:00Z', future: 1 };
    expect(readNodeTaints(node({ spec: { taints: [taint] } }))).toEqual({
      name: 'n1',
      resourceVersion: '42',
      taints: [taint],
    });
    expect(readNodeTaints(node({ spec: {} })).taints).toEqual([]);
  });

  test.each([
    ['not an object', 'x'],
    ['null', null],
    ['a Status', { kind: 'Status', code: 200 }],
    ['no name', node({ metadata: { resourceVersion: '1' } })],
    ['no resourceVersion', node({ metadata: { name: 'n1' } })],
    ['numeric resourceVersion', node({ metadata: { name: 'n1', resourceVersion: 42 } })],
    ['taints not a list', node({ spec: { taints: { key: 'k' } } })],
    ['a taint without key', node({ spec: { taints: [{ effect: 'NoSchedule' }] } })],
    ['a taint that is null', node({ spec: { taints: [null] } })],
  ])('%s: malformed, retryable', (_what, body) => {
    let error: unknown;
    try {
      readNodeTaints(body);
    } catch (err) {
      error = err;
    }
    expect(error).toBeInstanceOf(KubeApiError);
    expect((error as KubeApiError).failure).toBe('malformed');
    expect(isRetryable(error as KubeApiError)).toBe(true);
  });

  test('fuzz: any JSON value either reads as a Node or is a malformed KubeApiError', () => {
    fc.assert(
      fc.property(fc.jsonValue(), fc.jsonValue(), (spec, meta) => {
        for (const body of [spec, node({ spec }), node({ metadata: meta })]) {
          try {
            const read = readNodeTaints(body);
            expect(read.taints.every((t) => typeof t.key === 'string' && typeof t.effect === 'string')).toBe(
              true,
            );
          } catch (err) {
            expect(err).toBeInstanceOf(KubeApiError);
          }
        }
      }),
      { numRuns: 500 },
    );
  });
});

describe('which taints a selector matches', () => {
  test.each([
    [{ key: 'k' }, { key: 'k', effect: 'NoExecute' }, true],
    [{ key: 'k' }, { key: 'k2', effect: 'NoSchedule' }, false],
    [{ key: 'k', effect: 'NoSchedule' as const }, { key: 'k', effect: 'NoExecute' }, false],
    [{ key: 'k', effect: 'NoSchedule' as const }, { key: 'k', value: 'v', effect: 'NoSchedule' }, true],
  ])('%j ~ %j -> %s', (selector, taint, expected) => {
    expect(matchesTaint(taint, selector)).toBe(expected);
  });
});

describe('toTaintSelector', () => {
  test.each([
    ['a', { key: 'a' }],
    ['example.com/agent-not-ready', { key: 'example.com/agent-not-ready' }],
    ['example.com/agent-not-ready:NoExecute', { key: 'example.com/agent-not-ready', effect: 'NoExecute' }],
    ['  padded:PreferNoSchedule ', { key: 'padded', effect: 'PreferNoSchedule' }],
  ])('%j -> %j', (raw, expected) => {
    expect(toTaintSelector('--startup-taint', raw)).toEqual(expected as never);
  });

  test('fuzz: a selector or a UsageError, never anything else; long input is refused quickly', () => {
    fc.assert(
      fc.property(fc.string({ maxLength: 400 }), (raw) => {
        try {
          const s = toTaintSelector('--startup-taint', raw);
          expect(s.key.length).toBeGreaterThan(0);
          expect(s.key.length).toBeLessThanOrEqual(317);
        } catch (err) {
          expect(err).toBeInstanceOf(UsageError);
        }
      }),
      { numRuns: 2000 },
    );
    expect(() => toTaintSelector('--startup-taint', `${'a.'.repeat(50_000)}/x`)).toThrow(UsageError);
  });
});

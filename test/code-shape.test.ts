// src/ has no import cycle (type-only and lazy imports count too), checked by scripts/code-shape.ts.
import { expect, test } from 'bun:test';
import { relative, resolve } from 'node:path';
import { importCycles, importGraph, listSources } from '../scripts/code-shape.ts';

const root = resolve(import.meta.dir, '..');

test('the cycle finder reports a cycle and a self-import, and nothing in a tree', () => {
  const graph = new Map([
    ['a', ['b']],
    ['b', ['c']],
    ['c', ['a', 'd']],
    ['d', []],
    ['e', ['e']],
    ['f', ['d']],
  ]);
  expect(importCycles(graph)).toEqual([['a', 'b', 'c'], ['e']]);
  expect(
    importCycles(
      new Map([
        ['x', ['y']],
        ['y', []],
      ]),
    ),
  ).toEqual([]);
});

test('src/ has no import cycle', () => {
  const graph = importGraph(listSources(resolve(root, 'src')));
  // The graph sees the real imports: the entry reaches the dispatch, the dispatch the lazy subcommands.
  expect(graph.get(resolve(root, 'src/cli.ts'))).toContain(resolve(root, 'src/cli/dispatch.ts'));
  expect(graph.get(resolve(root, 'src/cli/dispatch.ts'))).toContain(resolve(root, 'src/agent/agent.ts'));
  const cycles = importCycles(graph).map((c) => c.map((p) => relative(root, p)));
  expect(cycles).toEqual([]);
});

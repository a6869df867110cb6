// Code shape of src/: import cycles (static, type-only and lazy imports alike), files over 200 lines and
// functions over 80 lines. `bun scripts/code-shape.ts` prints all three; test/code-shape.test.ts keeps src/
// free of cycles. Functions are found by biome's formatting: a line opening a function body ends in `{`, and
// the body closes at the next line with the same indentation that starts with `}`.
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';

export const MAX_FILE_LINES = 200;
export const MAX_FUNCTION_LINES = 80;

const IMPORT = /(?:^|\n)\s*(?:import|export)\s[^;]*?from\s*['"](\.{1,2}\/[^'"]+)['"]/g;
const LAZY_IMPORT = /import\(\s*['"](\.{1,2}\/[^'"]+)['"]\s*\)/g;
const FUNCTION_START =
  /^(\s*)(?:export\s+)?(?:async\s+)?(?:function\s*\*?\s*\w*\s*[<(]|(?:get |set |async )?\w+\s*(?:<[^>]*>)?\([^)]*\)?.*\)\s*(?::[^={]+)?\{$|.*=>\s*\{$)/;

export function listSources(root: string): string[] {
  const out: string[] = [];
  for (const name of readdirSync(root)) {
    const path = join(root, name);
    if (statSync(path).isDirectory()) out.push(...listSources(path));
    else if (name.endsWith('.ts')) out.push(path);
  }
  return out.sort();
}

/** Each file's relative imports, resolved to paths. */
export function importGraph(files: readonly string[]): Map<string, string[]> {
  const graph = new Map<string, string[]>();
  for (const file of files) {
    const text = readFileSync(file, 'utf8');
    const targets = new Set<string>();
    for (const pattern of [IMPORT, LAZY_IMPORT]) {
      for (const m of text.matchAll(pattern)) targets.add(resolve(dirname(file), m[1]!));
    }
    graph.set(resolve(file), [...targets].filter((t) => t.endsWith('.ts')));
  }
  return graph;
}

/** Strongly connected components with more than one file, or a file importing itself (Tarjan). */
export function importCycles(graph: ReadonlyMap<string, readonly string[]>): string[][] {
  const index = new Map<string, number>();
  const low = new Map<string, number>();
  const stack: string[] = [];
  const onStack = new Set<string>();
  const cycles: string[][] = [];
  let next = 0;
  const visit = (node: string) => {
    index.set(node, next);
    low.set(node, next++);
    stack.push(node);
    onStack.add(node);
    for (const to of graph.get(node) ?? []) {
      if (!graph.has(to)) continue;
      if (!index.has(to)) {
        visit(to);
        low.set(node, Math.min(low.get(node)!, low.get(to)!));
      } else if (onStack.has(to)) low.set(node, Math.min(low.get(node)!, index.get(to)!));
    }
    if (low.get(node) !== index.get(node)) return;
    const component: string[] = [];
    let member: string;
    do {
      member = stack.pop()!;
      onStack.delete(member);
      component.push(member);
    } while (member !== node);
    if (component.length > 1 || graph.get(node)?.includes(node)) cycles.push(component.sort());
  };
  for (const node of graph.keys()) if (!index.has(node)) visit(node);
  return cycles;
}

export interface LongFunction {
  readonly file: string;
  readonly line: number;
  readonly lines: number;
  readonly text: string;
}

/** Function bodies longer than maxLines (nested functions are measured on their own too). */
export function longFunctions(file: string, maxLines = MAX_FUNCTION_LINES): LongFunction[] {
  const lines = readFileSync(file, 'utf8').split('\n');
  const found: LongFunction[] = [];
  lines.forEach((text, start) => {
    const m = FUNCTION_START.exec(text);
    if (!m || /^\s*(if|for|while|switch|catch|else|try|do)\b/.test(text)) return;
    const indent = m[1]!;
    for (let end = start + 1; end < lines.length; end++) {
      const line = lines[end]!;
      if (line.startsWith(`${indent}}`) && !line.startsWith(`${indent} `)) {
        const length = end - start + 1;
        if (length > maxLines) found.push({ file, line: start + 1, lines: length, text: text.trim() });
        return;
      }
    }
  });
  return found;
}

if (import.meta.main) {
  const root = resolve(process.argv[2] ?? 'src');
  const files = listSources(root);
  const cycles = importCycles(importGraph(files));
  const show = (p: string) => relative(process.cwd(), p);
  console.log(`import cycles: ${cycles.length}`);
  for (const c of cycles) console.log(`  ${c.map(show).join(' <-> ')}`);
  const long = files
    .map((f) => ({ f, n: readFileSync(f, 'utf8').split('\n').length - 1 }))
    .filter(({ n }) => n > MAX_FILE_LINES);
  console.log(`files over ${MAX_FILE_LINES} lines: ${long.length}`);
  for (const { f, n } of long) console.log(`  ${n} ${show(f)}`);
  const fns = files.flatMap((f) => longFunctions(f));
  console.log(`functions over ${MAX_FUNCTION_LINES} lines: ${fns.length}`);
  for (const fn of fns) console.log(`  ${fn.lines} ${show(fn.file)}:${fn.line} ${fn.text.slice(0, 80)}`);
}

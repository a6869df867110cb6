// util.format and util.inspect for prom-client's metric classes, which call them only to word the errors they
// throw for a bad value or label. The executable's build hands prom-client this module instead of node:util
// (scripts/build-executable.ts, promClientLazyUtil), so node:util, JavaScript of its own under Bun, loads at the
// first such error instead of at every agent's start (README footprint (10)).
import type * as Util from 'node:util';

let util: typeof Util | undefined;
// process.getBuiltinModule rather than require: the bundler leaves it alone, so the start-up bundle names no
// node:util at all (test/build/startup-builtins.test.ts).
const load = (): typeof Util => {
  util ??= process.getBuiltinModule('node:util');
  return util;
};

export const format: typeof Util.format = (...args) => load().format(...args);
export const inspect = ((...args: Parameters<typeof Util.inspect>) =>
  load().inspect(...args)) as typeof Util.inspect;

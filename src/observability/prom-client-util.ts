// util.format and util.inspect for prom-client's metric classes, which call them only to word the errors they
// throw for a bad value or label. The executable's build hands prom-client this module instead of node:util
// (scripts/build-executable.ts, promClientLazyUtil), so node:util, JavaScript of its own under Bun, loads at the
// first such error instead of at every agent's start (README footprint (10)).
import type * as Util from 'node:util';
import { nodeUtil } from '../shared/builtins.ts';

export const format: typeof Util.format = (...args) => nodeUtil().format(...args);
export const inspect = ((...args: Parameters<typeof Util.inspect>) =>
  nodeUtil().inspect(...args)) as typeof Util.inspect;

// The build of the standalone agent executable: the bundler's options, and the build itself when run.
// scripts/build-executable.sh runs this (the Dockerfile runs that script, so the image and every test and bench
// build the same way); test/build/startup-builtins.test.ts bundles with `bundleOptions` to see what a server loads.
// Usage: bun scripts/build-executable.ts OUTFILE   (env BUN_BUILD_TARGET, BYTECODE_ORDER: see the .sh)
import { resolve } from 'node:path';
import type { BunPlugin } from 'bun';

const REPO = resolve(import.meta.dir, '..');

/** The CLI, and the token-verification worker, loaded with new URL('./verify-worker.ts', import.meta.url). */
export const ENTRYPOINTS = ['src/cli.ts', 'src/token/verify-worker.ts'].map((p) => resolve(REPO, p));

const PROM_CLIENT_LIB = /[\\/]node_modules[\\/]prom-client[\\/]lib[\\/][^\\/]+\.js$/;
const UTIL_REQUIRE = "require('util')";
const LAZY_UTIL = resolve(REPO, 'src/observability/prom-client-util.ts');

/**
 * prom-client's metric classes require node:util at load for util.format and util.inspect, which they call only
 * to word the errors they throw for a bad value or label. Under Bun node:util is JavaScript of its own that every
 * agent would load at start and keep (~0.5 MB at 250 pods, README footprint (10)). This hands those modules
 * src/observability/prom-client-util.ts instead: the same two functions, which load node:util at their first call.
 */
export const promClientLazyUtil: BunPlugin = {
  name: 'prom-client-lazy-util',
  setup(build) {
    build.onLoad({ filter: PROM_CLIENT_LIB }, async ({ path }) => {
      const text = await Bun.file(path).text();
      return { contents: text.replaceAll(UTIL_REQUIRE, `require(${JSON.stringify(LAZY_UTIL)})`), loader: 'js' };
    });
  },
};

/** How the agent is bundled, with or without compiling. */
export const bundleOptions = {
  entrypoints: ENTRYPOINTS,
  target: 'bun',
  // --bytecode needs ESM.
  format: 'esm',
  // Shrinks the bundle. No source map: embedded maps cost every agent ~3 MB of RSS (bench/footprint.bench.ts);
  // stack traces name minified functions (add `sourcemap: 'inline'` to debug).
  minify: true,
  // Keeps what only a dynamic import() needs (other subcommands, the token verifier, the AWS SDK's credential
  // providers) and the node: modules it pulls in out of the start-up chunk, so a server never loads it unless it
  // is used.
  splitting: true,
  plugins: [promClientLazyUtil],
} satisfies Partial<Bun.BuildConfig>;

if (import.meta.main) {
  const outfile = process.argv[2];
  if (!outfile) throw new Error('usage: bun scripts/build-executable.ts OUTFILE');
  const order = process.env.BYTECODE_ORDER ?? 'scripts/bytecode-order/signature.txt,scripts/bytecode-order/claims.txt';
  const target = process.env.BUN_BUILD_TARGET;
  const result = await Bun.build({
    ...bundleOptions,
    // The bundle compiled to JavaScriptCore bytecode at build time, so start-up skips parsing it (exec to ready
    // ~120 -> ~40 ms).
    bytecode: true,
    compile: {
      outfile: resolve(outfile),
      ...(target ? { target: target as Bun.Build.CompileTarget } : {}),
      // Bun.serve has no option for the header limit; the runtime flag is compiled in (each unfinished-header
      // connection can hold this much: MAX_REQUEST_HEADER_BYTES in src/http/connection-guard.ts, README limits).
      execArgv: ['--max-http-header-size=8192'],
      // JavaScriptCore's tier-up thresholds times 100 for the life of the process: code that runs a few hundred
      // times (start-up, misses, renewals) stays in the interpreter instead of costing JIT code and compiler
      // memory, while the hit path, at thousands of requests a second, still tiers up. Measured on the
      // executable: idle 51.6 -> 48.2 MB, 250 pods 62 -> 54.5 MB; hits/s within noise (1000: no further gain).
      jitPolicy: 100,
      // Lays the bytecode that a recorded run used (start-up, misses, hits, a scrape, a drain) together at the
      // front, so those are the pages a node touches: idle -1.3 MB against bytecode without the order, which alone
      // cost +0.6 MB. An order recorded from an older build still applies (functions it does not know go after it).
      bytecodeOrder: order === '' ? false : order.split(',').map((p) => resolve(REPO, p)),
    },
  });
  if (!result.success) {
    for (const log of result.logs) console.error(log);
    process.exit(1);
  }
}

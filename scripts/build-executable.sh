#!/bin/sh
# Builds the standalone agent executable; the Dockerfile runs this same script, so the two never differ.
# Usage: scripts/build-executable.sh [OUTFILE]   (default dist/eks-pod-identity-agent)
# Env: BUN (default ./node_modules/.bin/bun, the version pinned in package-lock.json), BUN_BUILD_TARGET
# (optional cross-compile target such as bun-linux-arm64; downloads that runtime, so needs network),
# BYTECODE_ORDER (comma-separated order files; default the recorded ones in scripts/bytecode-order/, empty for
# none: bench/bytecode-order.ts records them from a build without).
set -eu

cd "$(dirname "$0")/.."
OUT="${1:-dist/eks-pod-identity-agent}"
BUN="${BUN:-./node_modules/.bin/bun}"

# The token-verification worker is loaded with new URL('./verify-worker.ts', import.meta.url): it must be an extra
# entrypoint so it is embedded in the executable next to the CLI.
ENTRYPOINTS="src/cli.ts src/token/verify-worker.ts"
for entry in $ENTRYPOINTS; do
  if [ ! -f "$entry" ]; then
    echo "build-executable: missing entrypoint $entry" >&2
    exit 1
  fi
done
if [ ! -x "$BUN" ] && ! command -v "$BUN" >/dev/null 2>&1; then
  echo "build-executable: no bun at $BUN (run npm ci first, or set BUN)" >&2
  exit 1
fi

mkdir -p "$(dirname "$OUT")"
# Built in a scratch directory: with --splitting Bun writes chunk files beside the executable.
WORK="$(mktemp -d "${TMPDIR:-/tmp}/build-executable.XXXXXX")"
trap 'rm -rf "$WORK"' EXIT
# --minify shrinks the bundle. --splitting keeps what only a dynamic import() needs (other subcommands, the
# token verifier, the AWS SDK's credential providers) and the node: modules it pulls in out of the start-up
# chunk, so a server never loads it unless it is used. No --sourcemap: embedded maps cost every agent ~3 MB
# of RSS (bench/footprint.bench.ts); stack traces name minified functions (add --sourcemap to debug).
# --compile-jit-policy=100 multiplies JavaScriptCore's tier-up thresholds by 100 for the life of the process:
# code that runs a few hundred times (start-up, misses, renewals) stays in the interpreter instead of costing
# JIT code and compiler memory, while the hit path, at thousands of requests a second, still tiers up.
# Measured on the executable: idle 51.6 -> 48.2 MB, 250 pods 62 -> 54.5 MB; hits/s within noise (1000: no
# further gain).
# --max-http-header-size: Bun.serve has no option for it; the runtime flag is compiled in (each unfinished-header
# connection can hold this much: MAX_REQUEST_HEADER_BYTES in src/http/connection-guard.ts, README limits).
# --bytecode (ESM needs --format=esm with it): the bundle is compiled to JavaScriptCore bytecode at build time,
# so start-up skips parsing it (exec to ready ~120 -> ~40 ms). --bytecode-order lays the bytecode that a recorded
# run used (start-up, misses, hits, a scrape, a drain) together at the front, so those are the pages a node
# touches: idle -1.3 MB against bytecode without the order, which alone cost +0.6 MB. An order recorded from an
# older build still applies (functions it does not know go after it).
ORDER="${BYTECODE_ORDER-scripts/bytecode-order/signature.txt,scripts/bytecode-order/claims.txt}"
# shellcheck disable=SC2086 # ENTRYPOINTS is a space-separated list on purpose
"$BUN" build --compile --minify --splitting --compile-jit-policy=100 --bytecode --format=esm \
  ${ORDER:+--bytecode-order="$ORDER"} \
  --compile-exec-argv="--max-http-header-size=8192" \
  ${BUN_BUILD_TARGET:+--target="$BUN_BUILD_TARGET"} \
  $ENTRYPOINTS --outfile "$WORK/agent"
mv "$WORK/agent" "$OUT"
echo "build-executable: wrote $OUT"

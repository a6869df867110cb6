#!/bin/sh
# Builds the standalone agent executable; the Dockerfile runs this same script, so the two never differ.
# Usage: scripts/build-executable.sh [OUTFILE]   (default dist/eks-pod-identity-agent)
# Env: BUN (default ./node_modules/.bin/bun, the version pinned in package-lock.json), BUN_BUILD_TARGET
# (optional cross-compile target such as bun-linux-arm64; downloads that runtime, so needs network).
set -eu

cd "$(dirname "$0")/.."
OUT="${1:-dist/eks-pod-identity-agent}"
BUN="${BUN:-./node_modules/.bin/bun}"

# The token-verification worker is loaded with new URL('./verify-worker.ts', import.meta.url): it must be an extra
# entrypoint so it is embedded in the executable next to the CLI.
ENTRYPOINTS="src/cli.ts src/request/verify-worker.ts"
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
# --minify shrinks the bundle; --sourcemap keeps stack traces pointing at src/ lines.
# shellcheck disable=SC2086 # ENTRYPOINTS is a space-separated list on purpose
"$BUN" build --compile --minify --sourcemap ${BUN_BUILD_TARGET:+--target="$BUN_BUILD_TARGET"} \
  $ENTRYPOINTS --outfile "$OUT"
# Bun embeds the source maps in the executable; the copies it also writes beside it are not needed.
rm -f "$OUT.map" "$(dirname "$OUT")/verify-worker.js.map"
echo "build-executable: wrote $OUT"

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

if [ ! -x "$BUN" ] && ! command -v "$BUN" >/dev/null 2>&1; then
  echo "build-executable: no bun at $BUN (run npm ci first, or set BUN)" >&2
  exit 1
fi

mkdir -p "$(dirname "$OUT")"
# Built in a scratch directory: with --splitting Bun writes chunk files beside the executable.
WORK="$(mktemp -d "${TMPDIR:-/tmp}/build-executable.XXXXXX")"
trap 'rm -rf "$WORK"' EXIT
# The bundler's options (and why each) are in scripts/build-executable.ts, which the tests bundle with too.
"$BUN" scripts/build-executable.ts "$WORK/agent"
mv "$WORK/agent" "$OUT"
echo "build-executable: wrote $OUT"

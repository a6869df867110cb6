# EKS Pod Identity Agent image: a standalone Bun executable on a small Debian base with iproute2.
# Build: docker build -t REGISTRY/eks-pod-identity-agent:0.1.0 .   (multi-arch: docker buildx --platform
# linux/amd64,linux/arm64; each platform compiles natively, so no cross-compile download is needed).

# --- build: npm ci installs the exact Bun (and deps) pinned in package-lock.json; the script compiles ---
FROM node:22-bookworm-slim AS build
WORKDIR /src
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund
COPY tsconfig.json ./
COPY scripts/build-executable.sh scripts/build-executable.ts scripts/
COPY scripts/bytecode-order/ scripts/bytecode-order/
COPY src/ src/
RUN scripts/build-executable.sh dist/eks-pod-identity-agent \
 && dist/eks-pod-identity-agent version

# --- runtime: glibc (the Bun executable links it) + iproute2 for `initialize` ---
FROM debian:bookworm-slim
RUN apt-get update \
 && apt-get install -y --no-install-recommends iproute2 ca-certificates \
 && rm -rf /var/lib/apt/lists/*
COPY --from=build /src/dist/eks-pod-identity-agent /eks-pod-identity-agent
COPY scripts/go-runner /go-runner
# No FTL (JavaScriptCore's top JIT tier; DFG still optimises hot code): the first code to get hot pages in ~3 MB of
# compiler code that a small agent does not need. Measured on the executable (README, footprint): 10,000 entries
# ~3 MB less, misses no more CPU, hit throughput unchanged; bench/footprint.bench.ts runs with this ENV read from here.
ENV BUN_JSC_useFTLJIT=0
# No warm-up of heap blocks: without it JavaScriptCore starts a thread ("JSCWarmUp") once the heap grows past a few
# blocks, which keeps blocks touched ahead of allocation. Measured on the executable (README, footprint): idle -0.5 MB,
# signature idle -0.9 MB, 250 pods -0.5 to -1.2 MB, one thread fewer, hit throughput unchanged.
ENV BUN_JSC_useWarmUpMarkedBlocks=0
# Baseline JIT after ~330 calls of a function instead of ~33 (JavaScriptCore counts 15 per call, 1 per loop turn):
# the miss path runs once per new pod, so it stays interpreted through a busy node's first misses instead of paging
# in JIT compilers and their output; the hit path under load reaches either threshold within a second. Measured on
# the executable (README, footprint (9)): 250 pods -0.4 to -0.6 MB, 500 pods -3.0 to -3.2 MB (no optimising compile yet),
# 10,000 entries -3 MB, CPU per miss no higher, hit throughput unchanged.
ENV BUN_JSC_thresholdForJITAfterWarmUp=5000
ENV BUN_JSC_thresholdForJITSoon=1000
# Root with every capability dropped but NET_BIND_SERVICE (server) or NET_ADMIN (initialize): see k8s/README.md.
USER 0:0
ENTRYPOINT ["/go-runner", "/eks-pod-identity-agent"]
CMD ["server", "--help"]

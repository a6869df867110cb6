// Builds the Go client driver once per source version: the binary is cached in the temp dir under a hash of
// main.go and the Go toolchain, so a test run and a bench run share one build (GOPATH mode, Debian packages).
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, renameSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const SOURCE_DIR = join(import.meta.dir, 'go');
export const GO_ENV = { GO111MODULE: 'off', GOPATH: '/usr/share/gocode', GOFLAGS: '' };

let built: Promise<string> | undefined;

function goVersion(): string {
  const res = Bun.spawnSync(['go', 'version'], { env: { ...process.env, ...GO_ENV } });
  if (res.exitCode !== 0) throw new Error('go is not installed (golang-go; see .ci/run)');
  return res.stdout.toString();
}

async function build(): Promise<string> {
  const hash = createHash('sha256')
    .update(readFileSync(join(SOURCE_DIR, 'main.go')))
    .update(goVersion())
    .digest('hex')
    .slice(0, 16);
  const dir = join(tmpdir(), `pia-sdk-matrix-go-${hash}`);
  const binary = join(dir, 'sdk-matrix-go');
  if (existsSync(binary)) return binary;
  mkdirSync(dir, { recursive: true });
  // Build beside the final name and rename: a concurrent run never sees a half-written binary.
  const partial = `${binary}.${process.pid}`;
  const proc = Bun.spawn(['go', 'build', '-o', partial, '.'], {
    cwd: SOURCE_DIR,
    env: { ...process.env, ...GO_ENV },
    stdout: 'ignore',
    stderr: 'pipe',
  });
  const [err, code] = await Promise.all([new Response(proc.stderr).text(), proc.exited]);
  if (code !== 0) throw new Error(`go build failed (golang-github-aws-aws-sdk-go*-dev installed?):\n${err}`);
  renameSync(partial, binary);
  return binary;
}

/** Path of the compiled Go driver; builds it on first use in this process (or finds it cached). */
export function goBinary(): Promise<string> {
  built ??= build();
  return built;
}

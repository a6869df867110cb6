// Helpers for tests that need a real network namespace: create/delete with unique names, run commands inside.
import { randomBytes } from 'node:crypto';
import { resolve } from 'node:path';

export const REPO_ROOT = resolve(import.meta.dir, '../..');
export const CLI = resolve(REPO_ROOT, 'src/cli.ts');

export interface RunResult {
  readonly exitCode: number;
  readonly stdout: string;
  readonly stderr: string;
}

export async function run(cmd: readonly string[], env?: Record<string, string>): Promise<RunResult> {
  const child = Bun.spawn([...cmd], {
    stdout: 'pipe',
    stderr: 'pipe',
    stdin: 'ignore',
    env: { ...process.env, ...env },
    timeout: 20_000,
  });
  const [stdout, stderr, exitCode] = await Promise.all([
    new Response(child.stdout).text(),
    new Response(child.stderr).text(),
    child.exited,
  ]);
  return { exitCode, stdout, stderr };
}

/** Why namespaces cannot be used here (not root, no iproute2, no netns support), or undefined when they can. */
export async function netnsUnavailableReason(): Promise<string | undefined> {
  if (process.getuid?.() !== 0) return 'network-namespace tests need root';
  const name = uniqueNetnsName('probe');
  try {
    const added = await run(['ip', 'netns', 'add', name]);
    if (added.exitCode !== 0) return `ip netns add failed: ${added.stderr.trim()}`;
    await run(['ip', 'netns', 'del', name]);
    return undefined;
  } catch (err) {
    return `cannot run ip (install iproute2): ${err instanceof Error ? err.message : String(err)}`;
  }
}

/** Unique per process and call, so teammates' tests running in parallel never collide. */
export function uniqueNetnsName(purpose: string): string {
  return `t-${purpose}-${process.pid}-${randomBytes(3).toString('hex')}`;
}

export function createNetnsRegistry() {
  const names: string[] = [];
  return {
    async add(purpose: string): Promise<string> {
      const name = uniqueNetnsName(purpose);
      const result = await run(['ip', 'netns', 'add', name]);
      if (result.exitCode !== 0) throw new Error(`ip netns add ${name}: ${result.stderr.trim()}`);
      names.push(name);
      return name;
    },
    /** Runs a command inside the namespace. */
    exec(ns: string, cmd: readonly string[], env?: Record<string, string>): Promise<RunResult> {
      return run(['ip', 'netns', 'exec', ns, ...cmd], env);
    },
    async deleteAll(): Promise<void> {
      for (const name of names.splice(0)) await run(['ip', 'netns', 'del', name]);
    },
  };
}

export interface JsonAddress {
  family: string;
  local: string;
  prefixlen: number;
}

/** Addresses on a link inside a namespace, from `ip -j addr show`. */
export async function addressesIn(ns: string, link: string): Promise<string[]> {
  const result = await run(['ip', 'netns', 'exec', ns, 'ip', '-j', 'addr', 'show', 'dev', link]);
  if (result.exitCode !== 0) return [];
  const [entry] = JSON.parse(result.stdout) as Array<{ addr_info: JsonAddress[] }>;
  return (entry?.addr_info ?? []).map((a) => `${a.local}/${a.prefixlen}`);
}

export async function routeTypeIn(ns: string, address: string): Promise<string | undefined> {
  const family = address.includes(':') ? '-6' : '-4';
  const result = await run(['ip', 'netns', 'exec', ns, 'ip', '-j', family, 'route', 'get', address]);
  if (result.exitCode !== 0) return undefined;
  return (JSON.parse(result.stdout) as Array<{ type?: string }>)[0]?.type;
}

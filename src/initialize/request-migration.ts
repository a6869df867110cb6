// Turns on net.ipv4.tcp_migrate_req (Linux 5.14+) in the node's network namespace, best effort. During a
// rollout two agents share the port with SO_REUSEPORT; when the old one closes its socket, connections the
// kernel had already queued for it would be reset. With this setting the kernel hands them to the new agent.
// /proc/sys is read-only in an unprivileged container, so failing here is one line of output, never fatal.
import { readFileSync, writeFileSync } from 'node:fs';

export const TCP_MIGRATE_REQ = '/proc/sys/net/ipv4/tcp_migrate_req';

export interface SysctlIo {
  read(path: string): string | undefined;
  write(path: string, value: string): void;
}

export const REAL_SYSCTL: SysctlIo = {
  read(path) {
    try {
      return readFileSync(path, 'utf8').trim();
    } catch {
      return undefined;
    }
  },
  write(path, value) {
    writeFileSync(path, value);
  },
};

/** One line saying what happened; `ok` is false only when the setting exists and could not be turned on. */
export function enableRequestMigration(sysctl: SysctlIo): { ok: boolean; line: string } {
  const current = sysctl.read(TCP_MIGRATE_REQ);
  if (current === undefined) {
    return {
      ok: true,
      line: 'tcp_migrate_req: not in this kernel (before 5.14); rollouts rely on the drain delay',
    };
  }
  if (current === '1') return { ok: true, line: 'tcp_migrate_req: on' };
  try {
    sysctl.write(TCP_MIGRATE_REQ, '1');
  } catch (err) {
    const code = (err as { code?: string }).code ?? 'error';
    return {
      ok: false,
      line:
        `tcp_migrate_req: could not turn it on (${code}); a rollout may reset a connection the old agent had ` +
        'queued when it closes: set net.ipv4.tcp_migrate_req=1 on the node',
    };
  }
  return { ok: true, line: 'tcp_migrate_req: turned on' };
}

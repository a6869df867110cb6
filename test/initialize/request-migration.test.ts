// initialize's best-effort net.ipv4.tcp_migrate_req: on where it can be, one clear line where it cannot.
import { expect, test } from 'bun:test';
import { type InitializeIo, runInitialize } from '../../src/initialize/initialize.ts';
import {
  enableRequestMigration,
  type SysctlIo,
  TCP_MIGRATE_REQ,
} from '../../src/initialize/request-migration.ts';
import { createFakeIp } from './fake-ip.ts';

function fakeSysctl(initial: string | undefined, writeError?: string) {
  const values = new Map<string, string>();
  if (initial !== undefined) values.set(TCP_MIGRATE_REQ, initial);
  const io: SysctlIo = {
    read: (path) => values.get(path),
    write: (path, value) => {
      if (writeError) throw Object.assign(new Error(writeError), { code: writeError });
      values.set(path, value);
    },
  };
  return { io, values };
}

test.each([
  ['absent (kernel before 5.14)', undefined, undefined, true, /not in this kernel/, undefined],
  ['already on', '1', undefined, true, /^tcp_migrate_req: on$/, '1'],
  ['off and writable', '0', undefined, true, /turned on/, '1'],
  [
    'off, /proc/sys read-only',
    '0',
    'EROFS',
    false,
    /could not turn it on \(EROFS\).*net\.ipv4\.tcp_migrate_req=1/,
    '0',
  ],
] as const)('%s', (_name, initial, writeError, ok, line, after) => {
  const { io, values } = fakeSysctl(initial, writeError);
  const result = enableRequestMigration(io);
  expect(result.ok).toBe(ok);
  expect(result.line).toMatch(line);
  expect(values.get(TCP_MIGRATE_REQ)).toBe(after);
});

test('initialize reports it before its summary line; a read-only /proc/sys is a warning, exit 0', async () => {
  const out: string[] = [];
  const err: string[] = [];
  const io: InitializeIo = {
    ip: createFakeIp({ kinds: ['dummy'] }).run,
    out: (l) => out.push(l),
    err: (l) => err.push(l),
    readSysctl: () => '0',
    sysctl: fakeSysctl('0', 'EROFS').io,
  };
  expect(await runInitialize([], io)).toBe(0);
  expect(err).toEqual([
    expect.stringContaining('initialize: warning: tcp_migrate_req: could not turn it on'),
  ]);
  expect(out.at(-1)).toStartWith('initialize: ok:');
});

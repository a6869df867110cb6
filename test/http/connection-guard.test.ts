// The connection guard's decisions with a scripted descriptor count: pause at the cap, resume below the
// resume mark, the fd limit lowering the cap, a failed rebind retried; and the runtime header limit.
import { expect, test } from 'bun:test';
import {
  connectionCap,
  createConnectionGuard,
  FD_RESERVE,
  RESUME_BELOW_CAP,
  runtimeHeaderLimitBytes,
} from '../../src/http/connection-guard.ts';

function scripted(maxConnections: number, fdLimit: number | undefined) {
  const events: string[] = [];
  let open = 0;
  let failResume = false;
  const guard = createConnectionGuard({
    maxConnections,
    fdLimit,
    autoStart: false,
    countOpenFds: () => open,
    listeners: {
      pause: () => events.push('pause'),
      resume: async () => {
        if (failResume) throw new Error('port taken');
        events.push('resume');
      },
    },
    onError: (err) => events.push(`error: ${(err as Error).message}`),
  });
  return {
    guard,
    events,
    set: (n: number) => {
      open = n;
    },
    failResume: (v: boolean) => {
      failResume = v;
    },
  };
}

test('pauses at the cap (not before), resumes only below the resume mark', async () => {
  const s = scripted(2000, 1_048_576);
  s.set(1999);
  await s.guard.tick();
  expect([s.events, s.guard.accepting()]).toEqual([[], true]);
  s.set(2000);
  await s.guard.tick();
  expect([s.events, s.guard.accepting()]).toEqual([['pause'], false]);
  s.set(2000 - RESUME_BELOW_CAP + 1);
  await s.guard.tick();
  expect(s.events).toEqual(['pause']);
  s.set(2000 - RESUME_BELOW_CAP);
  await s.guard.tick();
  expect([s.events, s.guard.accepting()]).toEqual([['pause', 'resume'], true]);
});

test('a rebind that fails is reported and tried again on the next check', async () => {
  const s = scripted(2000, undefined);
  s.set(5000);
  await s.guard.tick();
  s.set(0);
  s.failResume(true);
  await s.guard.tick();
  expect([s.events, s.guard.accepting()]).toEqual([['pause', 'error: port taken'], false]);
  s.failResume(false);
  await s.guard.tick();
  expect([s.events.at(-1), s.guard.accepting()]).toEqual(['resume', true]);
});

test('the cap is --max-connections, or the fd limit less the reserve when that is lower', () => {
  expect(connectionCap(16_384, 1_048_576)).toBe(16_384);
  expect(connectionCap(16_384, 20_000)).toBe(16_384);
  expect(connectionCap(16_384, 4_096)).toBe(4_096 - FD_RESERVE);
  expect(connectionCap(16_384, undefined)).toBe(16_384);
  expect(connectionCap(16_384, 100)).toBe(1);
});

test('the header limit in force is read from the runtime flag; Bun defaults to 16 KiB', () => {
  expect(runtimeHeaderLimitBytes(['--max-http-header-size=8192'])).toBe(8192);
  expect(
    runtimeHeaderLimitBytes(['--smol', '--max-http-header-size=4096', '--max-http-header-size=8192']),
  ).toBe(8192);
  expect(runtimeHeaderLimitBytes([])).toBe(16 * 1024);
  expect(runtimeHeaderLimitBytes(['--max-http-header-size=x'])).toBe(16 * 1024);
});

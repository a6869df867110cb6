import { describe, expect, test } from 'bun:test';
import { createSingleFlight } from '../../src/credentials/single-flight.ts';
import { deferred } from '../helpers/fake-eks-auth.ts';

describe('single-flight', () => {
  test('concurrent runs for one key share one execution', async () => {
    const sf = createSingleFlight<number>();
    const gate = deferred<number>();
    let executions = 0;
    const work = () => {
      executions += 1;
      return gate.promise;
    };
    const runs = Array.from({ length: 50 }, () => sf.run('k', work));
    expect(runs.filter((r) => r.shared)).toHaveLength(49);
    expect(sf.size).toBe(1);
    gate.resolve(7);
    expect(await Promise.all(runs.map((r) => r.promise))).toEqual(Array(50).fill(7));
    expect(executions).toBe(1);
    expect(sf.size).toBe(0);
  });

  test('different keys run independently', async () => {
    const sf = createSingleFlight<string>();
    const a = sf.run('a', async () => 'A');
    const b = sf.run('b', async () => 'B');
    expect([a.shared, b.shared]).toEqual([false, false]);
    expect([await a.promise, await b.promise]).toEqual(['A', 'B']);
  });

  test('errors are shared but never cached: the next run executes again', async () => {
    const sf = createSingleFlight<string>();
    let executions = 0;
    const failing = () => {
      executions += 1;
      return Promise.reject(new Error('boom'));
    };
    const first = sf.run('k', failing);
    const second = sf.run('k', failing);
    await expect(first.promise).rejects.toThrow('boom');
    await expect(second.promise).rejects.toThrow('boom');
    expect(executions).toBe(1);
    const third = sf.run('k', async () => 'ok');
    expect(third.shared).toBe(false);
    expect(await third.promise).toBe('ok');
  });

  test('a synchronous throw becomes a rejection, not an exception at the call site', async () => {
    const sf = createSingleFlight<string>();
    const run = sf.run('k', () => {
      throw new Error('sync');
    });
    await expect(run.promise).rejects.toThrow('sync');
    expect(sf.size).toBe(0);
  });
  test('holdUntil: joiners share the value until the work it leads to settles', async () => {
    const sf = createSingleFlight<{ more: Promise<void> }>({ holdUntil: (v) => v.more });
    const more = deferred<void>();
    const first = sf.run('k', async () => ({ more: more.promise }));
    await first.promise;
    const joined = sf.run('k', async () => ({ more: Promise.resolve() }));
    expect(joined.shared).toBe(true);
    expect(await joined.promise).toBe(await first.promise);
    more.resolve();
    await more.promise;
    await Promise.resolve();
    expect(sf.has('k')).toBe(false);
    const failing = sf.run('f', () => Promise.reject(new Error('boom')));
    await expect(failing.promise).rejects.toThrow('boom');
    expect(sf.has('f')).toBe(false);
  });

  test('idle() resolves once nothing is in flight, at once when nothing was', async () => {
    const sf = createSingleFlight<number>();
    await sf.idle();
    const a = deferred<number>();
    const b = deferred<number>();
    sf.run('a', () => a.promise);
    sf.run('b', () => b.promise);
    let idle = false;
    const waiting = sf.idle().then(() => {
      idle = true;
    });
    a.resolve(1);
    await a.promise;
    await Promise.resolve();
    expect(idle).toBe(false);
    b.resolve(2);
    await waiting;
    expect(sf.size).toBe(0);
  });
});

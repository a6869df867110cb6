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
});

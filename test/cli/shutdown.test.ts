// The shutdown helper: closers run last-built-first, all of them even when one fails, once; stopSignal
// resolves on the first SIGINT/SIGTERM and leaves no handler behind.
import { describe, expect, test } from 'bun:test';
import { createClosers, stopSignal } from '../../src/cli/shutdown.ts';

describe('createClosers', () => {
  test('runs closers in reverse order, each awaited before the next', async () => {
    const closers = createClosers();
    const order: string[] = [];
    closers.add(() => order.push('client'));
    closers.add(async () => {
      await Promise.resolve();
      order.push('listeners');
    });
    closers.add(() => order.push('metrics'));
    await closers.close();
    expect(order).toEqual(['metrics', 'listeners', 'client']);
  });

  test('a failing closer does not skip the others; the first error is rethrown', async () => {
    const closers = createClosers();
    const ran: string[] = [];
    closers.add(() => ran.push('first'));
    closers.add(() => {
      throw new Error('second failed');
    });
    closers.add(() => Promise.reject(new Error('third failed')));
    await expect(closers.close()).rejects.toThrow('third failed');
    expect(ran).toEqual(['first']);
  });

  test('close is idempotent and refuses later closers', async () => {
    const closers = createClosers();
    let runs = 0;
    closers.add(() => runs++);
    const first = closers.close();
    expect(closers.close()).toBe(first);
    await first;
    expect(runs).toBe(1);
    expect(() => closers.add(() => {})).toThrow('after close()');
  });
});

describe('stopSignal', () => {
  for (const signal of ['SIGINT', 'SIGTERM'] as const) {
    test(`${signal} resolves with its name and removes both handlers`, async () => {
      const before = [process.listenerCount('SIGINT'), process.listenerCount('SIGTERM')];
      const stop = stopSignal();
      expect([process.listenerCount('SIGINT'), process.listenerCount('SIGTERM')]).toEqual(
        before.map((n) => n + 1),
      );
      process.emit(signal, signal);
      expect(await stop.received).toBe(signal);
      expect([process.listenerCount('SIGINT'), process.listenerCount('SIGTERM')]).toEqual(before);
    });
  }

  test('cancel removes the handlers without a signal', () => {
    const before = process.listenerCount('SIGTERM');
    stopSignal().cancel();
    expect(process.listenerCount('SIGTERM')).toBe(before);
  });
});

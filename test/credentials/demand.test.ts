import { describe, expect, test } from 'bun:test';
import { createDemand } from '../../src/credentials/demand.ts';

describe('demand: who still waits for a call', () => {
  test('requests count while they wait; nobody waiting since the last one left', () => {
    let t = 100;
    const d = createDemand(() => t);
    expect(d.waiting).toBe(0);
    expect(d.idleSinceMs).toBe(100);
    const first = d.hold(100);
    const second = d.hold(150);
    expect(d.waiting).toBe(2);
    t = 300;
    first();
    first(); // idempotent
    expect(d.waiting).toBe(1);
    t = 400;
    second();
    expect(d.waiting).toBe(0);
    expect(d.idleSinceMs).toBe(400);
  });

  test('a hang-up ends the wait and tells how long this client holds on; its next attempt is expected to end as long after', () => {
    let t = 0;
    const d = createDemand(() => t);
    const hangUp = new AbortController();
    const leave = d.hold(0, hangUp.signal);
    expect(d.expectedEndMs).toBeUndefined(); // not known before the client has hung up once
    t = 1_000;
    hangUp.abort();
    expect(d.waiting).toBe(0);
    expect(d.idleSinceMs).toBe(1_000);
    t = 1_300;
    d.hold(1_300);
    expect(d.expectedEndMs).toBe(2_300);
    leave(); // the first request's own leave after its hang-up changes nothing
    expect(d.waiting).toBe(1);
  });

  test('an answered request does not count as a hang-up', () => {
    let t = 0;
    const d = createDemand(() => t);
    const signal = new AbortController();
    const leave = d.hold(0, signal.signal);
    t = 200;
    leave();
    signal.abort(); // the connection closing later is not this request giving up
    d.hold(300);
    expect(d.expectedEndMs).toBeUndefined();
  });
});

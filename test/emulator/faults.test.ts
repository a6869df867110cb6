// Injected faults: outages, hangs, latency, throttling by rate, chosen failures and their statistics.
import { afterAll, afterEach, beforeAll, describe, expect, test } from 'bun:test';
import { createManualClock } from '../../src/clock.ts';
import { type Emulator, startEmulator } from '../../src/emulator/index.ts';
import { callAssumeRole, errorOf } from './signed-fetch.ts';

const clock = createManualClock(Date.now());
const at = () => ({ signingDate: new Date(clock.now()) });
const randomValues: number[] = [];
let emu: Emulator;
let token: string;

beforeAll(async () => {
  // failRate draws from this queue, so the test decides each coin toss.
  emu = await startEmulator({ clock, random: () => randomValues.shift() ?? 0.5 });
  token = await emu.issueToken({ namespace: 'default', serviceAccount: 'app' });
});
afterEach(() => {
  emu.resetFaults();
  emu.resetStats();
  randomValues.length = 0;
});
afterAll(() => emu.stop());

const call = () => callAssumeRole(emu.url, token, at());

describe('failWith', () => {
  const modelled: [string, number][] = [
    ['AccessDeniedException', 400],
    ['ExpiredTokenException', 400],
    ['InvalidTokenException', 400],
    ['ResourceNotFoundException', 404],
    ['InvalidParameterException', 400],
    ['InvalidRequestException', 400],
    ['ThrottlingException', 429],
    ['InternalServerException', 500],
    ['ServiceUnavailableException', 503],
    ['UnrecognizedClientException', 403],
    ['InvalidSignatureException', 403],
  ];
  for (const [code, status] of modelled) {
    test(`${code} -> ${status} REST-JSON error`, async () => {
      emu.setFaults({ failWith: code });
      const res = await call();
      expect(res.headers.get('x-amzn-requestid')).toBeTruthy();
      const err = await errorOf(res);
      expect(err).toMatchObject({ status, code, body: { __type: code } });
      expect(emu.stats()).toMatchObject({
        assumeRoleCalls: 1,
        succeeded: 0,
        failed: 1,
        throttled: status === 429 ? 1 : 0,
        byCode: { [code]: 1 },
      });
    });
  }

  test('failEmptyBody: the status and the code in x-amzn-errortype, no body', async () => {
    emu.setFaults({ failWith: 'InternalServerException', failEmptyBody: true });
    const res = await call();
    expect(res.status).toBe(500);
    expect(res.headers.get('x-amzn-errortype')).toBe('InternalServerException');
    expect(await res.text()).toBe('');
    expect(emu.stats()).toMatchObject({ failed: 1, byCode: { InternalServerException: 1 } });
  });

  test('failMessageChars: the same hostile body on every call, counted like any failure', async () => {
    emu.setFaults({ failWith: 'InternalServerException', failMessageChars: 5_000 });
    const first = (await errorOf(await call())).body as { __type: string; message: string };
    const second = (await errorOf(await call())).body as { message: string };
    expect(first.__type).toBe('InternalServerException');
    expect(first.message).toHaveLength(5_000);
    expect(first.message).not.toContain('.');
    expect(second.message).toBe(first.message);
    expect(emu.stats()).toMatchObject({ failed: 2, byCode: { InternalServerException: 2 } });
  });

  test('MalformedResponse -> 200 without credentials or assumedRoleUser', async () => {
    emu.setFaults({ failWith: 'MalformedResponse' });
    const res = await call();
    expect(res.status).toBe(200);
    const body = (await res.json()) as Record<string, unknown>;
    expect(body.credentials).toBeUndefined();
    expect(body.assumedRoleUser).toBeUndefined();
    expect(emu.stats().byCode).toEqual({ MalformedResponse: 1 });
  });

  test('HttpError -> 502 text/html without an error code', async () => {
    emu.setFaults({ failWith: 'HttpError' });
    const res = await call();
    expect(res.status).toBe(502);
    expect(res.headers.get('content-type')).toBe('text/html');
    expect(res.headers.get('x-amzn-errortype')).toBeNull();
    expect(await res.text()).toContain('Bad Gateway');
    expect(emu.stats().byCode).toEqual({ HttpError: 1 });
  });

  test('failRate decides per call; resetFaults restores success', async () => {
    emu.setFaults({ failWith: 'InternalServerException', failRate: 0.3 });
    randomValues.push(0.1, 0.9, 0.29, 0.3);
    const statuses = [];
    for (let i = 0; i < 4; i++) statuses.push((await call()).status);
    expect(statuses).toEqual([500, 200, 500, 200]);
    expect(emu.stats()).toMatchObject({ assumeRoleCalls: 4, succeeded: 2, failed: 2 });
    emu.resetFaults();
    expect((await call()).status).toBe(200);
  });

  test('setFaults replaces, never merges', async () => {
    emu.setFaults({ failWith: 'ThrottlingException' });
    emu.setFaults({ latencyMs: 0 });
    expect((await call()).status).toBe(200);
  });
});

describe('maxTps', () => {
  // A token bucket (EKS Auth's throttling), not a fixed wall-clock second: the bucket starts full at `burst`
  // (default maxTps) and earns maxTps tokens per second, so what is admitted never depends on the phase of a
  // second. The fixed-window emulator admitted a new maxTps at every second boundary instead.
  test('a full bucket admits maxTps at once, then one call per 1/maxTps s; a throttled call takes nothing', async () => {
    emu.setFaults({ maxTps: 2 });
    const first = [(await call()).status, (await call()).status];
    const over = await errorOf(await call());
    expect(first).toEqual([200, 200]);
    expect(over).toMatchObject({ status: 429, code: 'ThrottlingException' });
    clock.advance(499);
    expect((await call()).status).toBe(429);
    clock.advance(1);
    expect((await call()).status).toBe(200);
    expect((await call()).status).toBe(429);
    expect(emu.stats()).toMatchObject({ assumeRoleCalls: 6, succeeded: 3, throttled: 3 });
  });

  test('100 ms after the burst one call is admitted, not a new second of calls', async () => {
    emu.setFaults({ maxTps: 10 });
    for (let i = 0; i < 10; i++) expect((await call()).status).toBe(200);
    // A fixed window would admit 10 more at the next second; the bucket has earned 1 in 100 ms.
    clock.advance(100);
    const statuses = [];
    for (let i = 0; i < 3; i++) statuses.push((await call()).status);
    expect(statuses).toEqual([200, 429, 429]);
  });

  test('the bucket never holds more than burst, however long it was idle', async () => {
    emu.setFaults({ maxTps: 1, burst: 3 });
    clock.advance(60_000);
    const statuses = [];
    for (let i = 0; i < 4; i++) statuses.push((await call()).status);
    expect(statuses).toEqual([200, 200, 200, 429]);
    clock.advance(60_000);
    statuses.length = 0;
    for (let i = 0; i < 4; i++) statuses.push((await call()).status);
    expect(statuses).toEqual([200, 200, 200, 429]);
  });

  test('setFaults refills the bucket', async () => {
    emu.setFaults({ maxTps: 1 });
    expect((await call()).status).toBe(200);
    expect((await call()).status).toBe(429);
    emu.setFaults({ maxTps: 1 });
    expect((await call()).status).toBe(200);
  });
});

describe('outage', () => {
  for (const outage of [true, 'unavailable'] as const) {
    test(`outage ${outage} -> 503 ServiceUnavailableException even for unsigned calls`, async () => {
      emu.setFaults({ outage });
      expect(await errorOf(await call())).toMatchObject({ status: 503, code: 'ServiceUnavailableException' });
      const unsigned = await fetch(`${emu.url}/clusters/c/assume-role-for-pod-identity`, { method: 'POST' });
      expect(unsigned.status).toBe(503);
      expect(emu.stats()).toMatchObject({ assumeRoleCalls: 2, failed: 2 });
    });
  }

  test("'hang' never answers: the client's timeout ends the call", async () => {
    emu.setFaults({ outage: 'hang' });
    const res = fetch(`${emu.url}/clusters/c/assume-role-for-pod-identity`, {
      method: 'POST',
      body: '{}',
      signal: AbortSignal.timeout(300),
    });
    await expect(res).rejects.toThrow();
    expect(emu.stats()).toMatchObject({ assumeRoleCalls: 1, failed: 1, byCode: { Hang: 1 } });
  });

  test('stop() ends hanging requests instead of waiting for them', async () => {
    const other = await startEmulator();
    other.setFaults({ outage: 'hang' });
    const pending = fetch(`${other.url}/clusters/c/assume-role-for-pod-identity`, {
      method: 'POST',
      body: '{}',
    });
    // Make sure the request is being held before stopping.
    while (other.stats().assumeRoleCalls === 0) await Bun.sleep(5);
    await other.stop();
    await expect(pending).rejects.toThrow();
  });
});

describe('latency', () => {
  test('delays the answer by at least latencyMs', async () => {
    emu.setFaults({ latencyMs: 150 });
    const started = performance.now();
    expect((await call()).status).toBe(200);
    // Only a lower bound: the machine is noisy, timers never fire early by more than a millisecond.
    expect(performance.now() - started).toBeGreaterThanOrEqual(140);
  });
});

describe('fault validation', () => {
  const bad: [unknown, RegExp][] = [
    [{ failWith: 'NoSuchCode' }, /failWith must be one of/],
    [{ failRate: 0.5 }, /failRate needs failWith/],
    [{ failWith: 'ThrottlingException', failRate: 2 }, /failRate must be a number from 0 to 1/],
    [{ latencyMs: -1 }, /latencyMs must be an integer/],
    [{ maxTps: 1.5 }, /maxTps must be an integer/],
    [{ burst: 5 }, /burst needs maxTps/],
    [{ maxTps: 5, burst: 0 }, /burst must be an integer/],
    [{ outage: 'down' }, /outage must be/],
    [{ latency: 5 }, /unknown field 'latency'/],
    [{ failEmptyBody: true }, /failEmptyBody needs failWith/],
    [{ failWith: 'InternalServerException', failEmptyBody: 'yes' }, /failEmptyBody must be true or false/],
    [
      { failWith: 'InternalServerException', failEmptyBody: true, failMessageChars: 10 },
      /failEmptyBody and failMessageChars exclude each other/,
    ],
  ];
  for (const [input, message] of bad) {
    test(JSON.stringify(input), () => {
      expect(() => emu.setFaults(input as never)).toThrow(message);
    });
  }
});

describe('call trace (admin API /_emulator/trace)', () => {
  const admin = (method: string) =>
    fetch(`${emu.url}/_emulator/trace`, { method, body: method === 'POST' ? '{}' : null });
  test('off until started: then each call with its pod, throttling decision and times; cleared on start', async () => {
    const traced = await emu.issueToken({ namespace: 'default', serviceAccount: 'app', podName: 'traced-7' });
    await callAssumeRole(emu.url, traced, at());
    expect(await (await admin('GET')).json()).toEqual({ on: false, dropped: 0, entries: [] });
    await admin('POST');
    emu.setFaults({ maxTps: 1 });
    expect((await callAssumeRole(emu.url, traced, at())).status).toBe(200);
    expect((await callAssumeRole(emu.url, traced, at())).status).toBe(429);
    const { on, entries } = (await (await admin('GET')).json()) as {
      on: boolean;
      entries: {
        pod: string;
        status: number;
        code?: string;
        arrivedMs: number;
        admittedMs: number;
        answeredMs: number;
      }[];
    };
    expect(on).toBe(true);
    expect(entries.map((e) => [e.pod, e.status, e.code])).toEqual([
      ['traced-7', 200, undefined],
      ['traced-7', 429, 'ThrottlingException'],
    ]);
    for (const e of entries) {
      expect(e.arrivedMs).toBeLessThanOrEqual(e.admittedMs);
      expect(e.admittedMs).toBeLessThanOrEqual(e.answeredMs);
    }
    await admin('DELETE');
    await callAssumeRole(emu.url, traced, at());
    expect(((await (await admin('GET')).json()) as { entries: unknown[] }).entries).toHaveLength(2);
    await admin('POST');
    expect(((await (await admin('GET')).json()) as { entries: unknown[] }).entries).toHaveLength(0);
    await admin('DELETE');
  });
});

// Property tests: no input, however odd, makes the emulator crash or answer 500.
import { afterAll, beforeAll, expect, test } from 'bun:test';
import fc from 'fast-check';
import { type Emulator, startEmulator } from '../../src/emulator/index.ts';
import { callAssumeRole } from './signed-fetch.ts';

let emu: Emulator;

beforeAll(async () => {
  emu = await startEmulator();
});
afterAll(() => emu.stop());

test('any token string -> a 4xx modelled error, never a 5xx', async () => {
  const tokens = fc.oneof(
    fc.string({ maxLength: 200 }),
    fc
      .tuple(fc.base64String(), fc.base64String(), fc.base64String())
      .map((parts) => parts.map((p) => p.replace(/\+/g, '-').replace(/\//g, '_')).join('.')),
  );
  await fc.assert(
    fc.asyncProperty(tokens, async (token) => {
      const res = await callAssumeRole(emu.url, token);
      expect(res.status).toBeGreaterThanOrEqual(400);
      expect(res.status).toBeLessThan(500);
      expect(['InvalidTokenException', 'InvalidParameterException']).toContain(
        res.headers.get('x-amzn-errortype')!,
      );
    }),
    { numRuns: 60 },
  );
});

test('any JSON body on the API or the admin endpoints -> never a 5xx', async () => {
  const endpoints = fc.constantFrom(
    ['POST', '/_emulator/tokens'],
    ['PUT', '/_emulator/faults'],
    ['PUT', '/_emulator/associations'],
    ['POST', '/clusters/c/assume-role-for-pod-identity'],
  );
  await fc.assert(
    fc.asyncProperty(endpoints, fc.jsonValue({ maxDepth: 3 }), async ([method, path], value) => {
      const res = await fetch(`${emu.url}${path}`, { method, body: JSON.stringify(value) });
      expect(res.status).toBeLessThan(500);
      emu.resetFaults();
      emu.setAssociations(null);
    }),
    { numRuns: 120 },
  );
});

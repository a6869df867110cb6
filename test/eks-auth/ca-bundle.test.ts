// AWS_CA_BUNDLE is read once at start; a file that cannot serve as one is a start error naming it.
import { afterAll, expect, test } from 'bun:test';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { readCaBundle } from '../../src/eks-auth/ca-bundle.ts';
import { createTestCertificateAuthority } from '../../src/emulator/kube-api/certificates.ts';

const dir = mkdtempSync(join(tmpdir(), 'ca-bundle-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

test('a PEM bundle is returned as it is', () => {
  const pem = createTestCertificateAuthority('bundle-test').certPem;
  const file = join(dir, 'ok.crt');
  writeFileSync(file, pem);
  expect(readCaBundle(file)).toBe(pem);
});

test.each([
  ['a missing file', 'missing.crt', undefined, /cannot read AWS_CA_BUNDLE ".*missing\.crt": ENOENT/],
  ['a directory', '.', undefined, /cannot read AWS_CA_BUNDLE ".*": EISDIR/],
  ['a file without a certificate', 'empty.crt', 'not a certificate\n', /holds no PEM certificate/],
] as const)('%s is an error naming the file', (_name, file, content, message) => {
  const path = join(dir, file);
  if (content !== undefined) writeFileSync(path, content);
  expect(() => readCaBundle(path)).toThrow(message);
});

// Subject names are joined once per namespace and service account, and the table that remembers them is bounded.
import { expect, test } from 'bun:test';
import { createSubjectNames } from '../../src/credentials/subject-names.ts';

test('the same names give the same subject; the table never holds more than its bound', () => {
  const names = createSubjectNames(3);
  expect(names.of('ns', 'app')).toBe('ns/app');
  expect(names.of('ns', 'app')).toBe('ns/app');
  expect(names.size).toBe(1);
  for (const sa of ['a', 'b', 'c', 'd', 'e']) {
    expect(names.of('ns', sa)).toBe(`ns/${sa}`);
    expect(names.size).toBeLessThanOrEqual(3);
  }
  expect(names.of('ns', 'e')).toBe('ns/e');
});

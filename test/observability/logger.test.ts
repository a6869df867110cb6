// The logger's censor (censor-secrets.ts): tokens and credentials in well-known fields never reach the output,
// and a line costs one look at each field.
import { describe, expect, test } from 'bun:test';
import { censorSecrets } from '../../src/observability/censor-secrets.ts';
import { createLogger, type LogDestination } from '../../src/observability/logger.ts';

const JWT = 'eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJzeXN0ZW06c2VydmljZWFjY291bnQ6ZGVmYXVsdDpteS1zYSJ9.c2lnbmF0dXJl';
const SECRET = 'wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY';
const SESSION = 'IQoJb3JpZ2luX2VjEXAMPLESESSIONTOKEN';

function capture() {
  const lines: string[] = [];
  const stream: LogDestination = { write: (s: string) => void lines.push(s) };
  return { logger: createLogger('trace', stream), lines };
}

const SHAPES: Array<[string, Record<string, unknown>]> = [
  ['token at top level', { token: JWT }],
  ['token one level down', { req: { token: JWT } }],
  ['token two levels down', { err: { cause: { token: JWT } } }],
  ['authorization header at top', { authorization: JWT, Authorization: JWT }],
  ['headers bag', { headers: { authorization: JWT } }],
  ['headers in a request object', { req: { headers: { authorization: JWT } } }],
  ['capitalised header in a request object', { req: { headers: { Authorization: JWT } } }],
  ['upstream credentials object', { credentials: { secretAccessKey: SECRET, sessionToken: SESSION } }],
  [
    'response credentials nested',
    { res: { credentials: { secretAccessKey: SECRET, sessionToken: SESSION } } },
  ],
  ['container-credentials body', { body: { SecretAccessKey: SECRET, Token: SESSION } }],
  ['container-credentials body two down', { res: { body: { SecretAccessKey: SECRET, Token: SESSION } } }],
  [
    'camel and pascal secrets at top',
    { secretAccessKey: SECRET, sessionToken: SESSION, SessionToken: SESSION },
  ],
  ['SDK-style Credentials', { out: { Credentials: { SecretAccessKey: SECRET, SessionToken: SESSION } } }],
  ['token three levels down', { a: { b: { c: { token: JWT } } } }],
  ['headers bag in an array', { requests: [{ headers: { authorization: JWT } }] }],
  ['a field of an Error', { err: Object.assign(new Error('boom'), { token: JWT }) }],
  [
    'a header bag held by an Error',
    { err: Object.assign(new Error('boom'), { request: { headers: { authorization: JWT } } }) },
  ],
];

describe('logger redaction', () => {
  test.each(SHAPES)('%s: no secret in the output, the field is marked redacted', (_name, fields) => {
    const { logger, lines } = capture();
    logger.info(fields, 'credentials request');
    expect(lines).toHaveLength(1);
    const line = lines[0]!;
    expect(line).not.toContain(JWT);
    expect(line).not.toContain(SECRET);
    expect(line).not.toContain(SESSION);
    expect(line).toContain('[redacted]');
    expect(JSON.parse(line)).toMatchObject({ level: 'info', msg: 'credentials request' });
  });

  test('non-secret facts pass through untouched', () => {
    const { logger, lines } = capture();
    logger.info(
      { namespace: 'default', serviceAccount: 'my-sa', accessKeyId: 'ASIAEXAMPLE', status: 200 },
      'ok',
    );
    expect(JSON.parse(lines[0]!)).toMatchObject({
      namespace: 'default',
      serviceAccount: 'my-sa',
      accessKeyId: 'ASIAEXAMPLE',
      status: 200,
      component: 'eks-pod-identity-agent',
    });
  });

  test("the caller's object is left as it was", () => {
    const { logger } = capture();
    const fields = { req: { headers: { authorization: JWT } }, status: 200 };
    logger.info(fields, 'credentials request');
    expect(fields.req.headers.authorization).toBe(JWT);
  });

  test('an Error keeps its type, message and stack when a field of it is censored', () => {
    const { logger, lines } = capture();
    logger.warn({ err: Object.assign(new TypeError('bad input'), { token: JWT }) }, 'failed');
    const { err } = JSON.parse(lines[0]!) as { err: Record<string, unknown> };
    expect(err).toMatchObject({ type: 'TypeError', message: 'bad input', token: '[redacted]' });
    expect(String(err.stack)).toContain('bad input');
  });

  test('an object without secret-named fields is logged as it is, not copied', () => {
    const fields = { reason: 'request', attempt: 1, nested: { status: 500, list: [{ code: 'X' }] } };
    expect(censorSecrets(fields)).toBe(fields);
  });

  test('level filtering: debug lines are dropped at info', () => {
    const lines: string[] = [];
    const logger = createLogger('info', { write: (s: string) => void lines.push(s) });
    logger.debug({ token: JWT }, 'hidden');
    logger.info('shown');
    expect(lines).toHaveLength(1);
  });
});

describe('line format (the fields and order pino wrote)', () => {
  test('level label, ISO time, component, bindings, fields, msg', () => {
    const { logger, lines } = capture();
    logger.child({ node: 'n1' }).warn({ attempt: 2, reason: 'refresh' }, 'retrying');
    expect(lines).toHaveLength(1);
    expect(lines[0]!.endsWith('}\n')).toBe(true);
    const line = JSON.parse(lines[0]!);
    expect(Object.keys(line)).toEqual(['level', 'time', 'component', 'node', 'attempt', 'reason', 'msg']);
    expect(line).toMatchObject({
      level: 'warn',
      component: 'eks-pod-identity-agent',
      node: 'n1',
      msg: 'retrying',
    });
    expect(new Date(line.time).toISOString()).toBe(line.time);
  });

  test('a message alone, and fields alone', () => {
    const { logger, lines } = capture();
    logger.info('agent stopped');
    logger.error({ code: 'X' });
    expect(JSON.parse(lines[0]!)).toMatchObject({ level: 'info', msg: 'agent stopped' });
    const second = JSON.parse(lines[1]!);
    expect(second).toMatchObject({ level: 'error', code: 'X' });
    expect(second.msg).toBeUndefined();
  });

  test('errors at any depth keep type, message, stack and cause', () => {
    const { logger, lines } = capture();
    const cause = new RangeError('inner');
    logger.error({ err: new Error('outer', { cause }), nested: { e: new TypeError('deep') } }, 'failed');
    const line = JSON.parse(lines[0]!);
    expect(line.err).toMatchObject({
      type: 'Error',
      message: 'outer',
      cause: { type: 'RangeError', message: 'inner' },
    });
    expect(String(line.err.stack)).toContain('outer');
    expect(line.nested.e).toMatchObject({ type: 'TypeError', message: 'deep' });
  });

  test('fields that cannot be serialised still give a line, with the message', () => {
    const { logger, lines } = capture();
    const circular: Record<string, unknown> = {};
    circular.self = circular;
    logger.warn({ circular }, 'odd fields');
    logger.warn({ big: 10n }, 'bigint');
    expect(lines).toHaveLength(2);
    expect(JSON.parse(lines[0]!)).toMatchObject({ msg: 'odd fields' });
    expect(JSON.parse(lines[0]!).logFieldsDropped).toBeString();
    expect(JSON.parse(lines[1]!)).toMatchObject({ msg: 'bigint' });
  });

  test('silent writes nothing', () => {
    const lines: string[] = [];
    const logger = createLogger('silent', { write: (s: string) => void lines.push(s) });
    logger.fatal('x');
    logger.child({ a: 1 }).error('y');
    expect(lines).toEqual([]);
  });
});

// The logger's redact list: tokens and credentials in well-known fields never reach the output.
import { describe, expect, test } from 'bun:test';
import type { DestinationStream } from 'pino';
import { createLogger } from '../../src/observability/logger.ts';

const JWT = 'eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJzeXN0ZW06c2VydmljZWFjY291bnQ6ZGVmYXVsdDpteS1zYSJ9.c2lnbmF0dXJl';
const SECRET = 'wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY';
const SESSION = 'IQoJb3JpZ2luX2VjEXAMPLESESSIONTOKEN';

function capture() {
  const lines: string[] = [];
  const stream: DestinationStream = { write: (s: string) => void lines.push(s) };
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

  test('level filtering: debug lines are dropped at info', () => {
    const lines: string[] = [];
    const logger = createLogger('info', { write: (s: string) => void lines.push(s) });
    logger.debug({ token: JWT }, 'hidden');
    logger.info('shown');
    expect(lines).toHaveLength(1);
  });
});

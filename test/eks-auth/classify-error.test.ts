// Error classification of EKS Auth answers and transport failures, and message sanitising, table-driven.
import { describe, expect, spyOn, test } from 'bun:test';
import { classifyErrorResponse, classifyTransportFailure } from '../../src/eks-auth/classify-error.ts';
import { EksAuthError } from '../../src/eks-auth/errors.ts';
import {
  MAX_UPSTREAM_MESSAGE_CHARS,
  MAX_UPSTREAM_MESSAGE_SCAN_CHARS,
  sanitizeUpstreamMessage,
} from '../../src/eks-auth/sanitize-message.ts';
import { AgentError } from '../../src/errors.ts';

const JWT =
  'eyJhbGciOiJSUzI1NiIsImtpZCI6ImFiYyJ9.eyJzdWIiOiJzeXN0ZW06c2VydmljZWFjY291bnQ6ZGVmYXVsdDpteS1zYSJ9.c2lnbmF0dXJlLWJ5dGVzLWhlcmU';

const h = (entries: Record<string, string> = {}) => new Headers(entries);

describe('classifyErrorResponse', () => {
  const rows: Array<{
    name: string;
    status: number;
    headers?: Record<string, string>;
    body?: string;
    code: string;
    httpStatus: number;
    retryable: boolean;
    kind: string;
    message?: string;
  }> = [
    {
      name: 'header code with :http suffix',
      status: 400,
      headers: {
        'x-amzn-errortype': 'InvalidTokenException:http://internal.amazon.com/coral/com.amazonaws.eksauth/',
      },
      body: '{"message":"bad token"}',
      code: 'InvalidTokenException',
      httpStatus: 400,
      retryable: false,
      kind: 'modelled',
      message: 'bad token',
    },
    {
      name: 'body __type with namespace',
      status: 400,
      body: '{"__type":"com.amazonaws.eksauth#ExpiredTokenException","Message":"expired"}',
      code: 'ExpiredTokenException',
      httpStatus: 400,
      retryable: false,
      kind: 'modelled',
      message: 'expired',
    },
    {
      name: 'body code field',
      status: 403,
      body: '{"code":"AccessDeniedException","message":"denied"}',
      code: 'AccessDeniedException',
      httpStatus: 403,
      retryable: false,
      kind: 'modelled',
    },
    {
      name: 'not found (mapped to 400 for SDKs)',
      status: 404,
      body: '{"__type":"ResourceNotFoundException"}',
      code: 'ResourceNotFoundException',
      httpStatus: 400,
      retryable: false,
      kind: 'modelled',
    },
    {
      name: 'invalid parameter',
      status: 400,
      headers: { 'x-amzn-errortype': 'InvalidParameterException' },
      code: 'InvalidParameterException',
      httpStatus: 400,
      retryable: false,
      kind: 'modelled',
    },
    {
      name: 'invalid request',
      status: 400,
      headers: { 'x-amzn-errortype': 'InvalidRequestException' },
      code: 'InvalidRequestException',
      httpStatus: 400,
      retryable: false,
      kind: 'modelled',
    },
    {
      name: 'throttling',
      status: 429,
      headers: { 'x-amzn-errortype': 'ThrottlingException' },
      code: 'ThrottlingException',
      httpStatus: 503,
      retryable: true,
      kind: 'modelled',
    },
    {
      name: 'internal server',
      status: 500,
      body: '{"__type":"InternalServerException"}',
      code: 'InternalServerException',
      httpStatus: 502,
      retryable: true,
      kind: 'modelled',
    },
    {
      name: 'service unavailable',
      status: 503,
      body: '{"__type":"ServiceUnavailableException"}',
      code: 'ServiceUnavailableException',
      httpStatus: 503,
      retryable: true,
      kind: 'modelled',
    },
    {
      name: 'header wins over body',
      status: 429,
      headers: { 'x-amzn-errortype': 'ThrottlingException' },
      body: '{"__type":"InvalidTokenException"}',
      code: 'ThrottlingException',
      httpStatus: 503,
      retryable: true,
      kind: 'modelled',
    },
    {
      name: 'unknown code 4xx',
      status: 400,
      body: '{"__type":"SomethingNewException"}',
      code: 'UpstreamHttpError',
      httpStatus: 502,
      retryable: false,
      kind: 'http',
    },
    {
      name: 'unknown code 5xx',
      status: 500,
      body: '{"__type":"SomethingNewException"}',
      code: 'UpstreamHttpError',
      httpStatus: 502,
      retryable: true,
      kind: 'http',
    },
    {
      name: 'no code 502 html',
      status: 502,
      body: '<html>bad gateway</html>',
      code: 'UpstreamHttpError',
      httpStatus: 502,
      retryable: true,
      kind: 'http',
    },
    {
      name: 'no code 429',
      status: 429,
      body: '',
      code: 'UpstreamHttpError',
      httpStatus: 502,
      retryable: true,
      kind: 'http',
    },
    {
      name: 'no code 403',
      status: 403,
      body: 'nope',
      code: 'UpstreamHttpError',
      httpStatus: 502,
      retryable: false,
      kind: 'http',
    },
    {
      name: 'redirect',
      status: 302,
      body: '',
      code: 'UpstreamHttpError',
      httpStatus: 502,
      retryable: false,
      kind: 'http',
    },
    {
      name: 'node signature error stays retryable',
      status: 403,
      headers: { 'x-amzn-errortype': 'InvalidSignatureException' },
      body: '{"message":"The request signature we calculated does not match"}',
      code: 'UpstreamHttpError',
      httpStatus: 502,
      retryable: true,
      kind: 'http',
    },
    {
      // AWS Common Errors: ExpiredTokenException 403 is the request signature's session token (the node's);
      // EKS Auth's own ExpiredTokenException (the pod's token) is a 400 and stays modelled (row above).
      name: "an expired node session (ExpiredTokenException at 403) is the node's, retryable, not the pod's",
      status: 403,
      headers: { 'x-amzn-errortype': 'ExpiredTokenException' },
      body: '{"message":"The security token included in the request is expired"}',
      code: 'UpstreamHttpError',
      httpStatus: 502,
      retryable: true,
      kind: 'http',
    },
    {
      name: 'unknown node key stays retryable',
      status: 403,
      body: '{"__type":"UnrecognizedClientException"}',
      code: 'UpstreamHttpError',
      httpStatus: 502,
      retryable: true,
      kind: 'http',
    },
    {
      name: 'garbage code ignored',
      status: 400,
      headers: { 'x-amzn-errortype': 'bad code <script>' },
      code: 'UpstreamHttpError',
      httpStatus: 502,
      retryable: false,
      kind: 'http',
    },
  ];
  for (const r of rows) {
    test(r.name, () => {
      const err = classifyErrorResponse(
        r.status,
        h({ 'x-amzn-requestid': 'req-1', ...r.headers }),
        r.body ?? '',
      );
      expect(err).toBeInstanceOf(EksAuthError);
      expect(err).toBeInstanceOf(AgentError);
      expect(err.code).toBe(r.code as never);
      expect(err.status).toBe(r.httpStatus);
      expect(err.retryable).toBe(r.retryable);
      expect(err.kind).toBe(r.kind as never);
      expect(err.upstreamStatus).toBe(r.status);
      expect(err.requestId).toBe('req-1');
      expect(err.message).toContain(`HTTP ${r.status}`);
      if (r.message) expect(err.message).toContain(r.message);
    });
  }

  test('a token echoed in the upstream message is removed', () => {
    const err = classifyErrorResponse(
      400,
      h({ 'x-amzn-errortype': 'InvalidTokenException' }),
      JSON.stringify({ message: `token ${JWT} is invalid` }),
    );
    expect(err.message).not.toContain(JWT);
    expect(err.message).not.toContain(JWT.split('.')[1]!);
    expect(err.message).toContain('[redacted]');
    expect(err.message).toContain('is invalid');
  });

  test('missing request id is undefined, not a string', () => {
    expect(classifyErrorResponse(500, h(), '').requestId).toBeUndefined();
  });

  // A storm against an upstream answering with no body (or a proxy's HTML page) classified every failed call
  // by letting JSON.parse throw; only a body that opens an object is parsed.
  test('a body that cannot be a JSON object is not parsed', () => {
    const parse = spyOn(JSON, 'parse');
    try {
      for (const body of ['', '   ', '<html>bad gateway</html>', 'nope', '[1]', '"text"']) {
        const err = classifyErrorResponse(500, h({ 'x-amzn-errortype': 'InternalServerException' }), body);
        expect(err.code).toBe('InternalServerException');
      }
      expect(parse).not.toHaveBeenCalled();
      const err = classifyErrorResponse(500, h(), ' \n{"__type":"InternalServerException","message":"m"}');
      expect([err.code, parse.mock.calls.length]).toEqual(['InternalServerException', 1]);
      expect(err.message).toContain(': m');
    } finally {
      parse.mockRestore();
    }
  });
});

describe('classifyTransportFailure', () => {
  test('timeout', () => {
    const err = classifyTransportFailure(new DOMException('timed out', 'TimeoutError'), true, 1000);
    expect([err.code, err.kind, err.status, err.retryable]).toEqual([
      'UpstreamTimeout',
      'timeout',
      504,
      true,
    ]);
    expect(err.message).toContain('1000 ms');
  });
  test('network error keeps its code', () => {
    const cause = Object.assign(new Error('Unable to connect'), { code: 'ECONNREFUSED' });
    const err = classifyTransportFailure(cause, false, 1000);
    expect([err.code, err.kind, err.status, err.retryable]).toEqual([
      'UpstreamUnreachable',
      'network',
      503,
      true,
    ]);
    expect(err.message).toContain('ECONNREFUSED');
    expect(err.cause).toBe(cause);
    expect(err.upstreamStatus).toBeUndefined();
  });
});

describe('sanitizeUpstreamMessage', () => {
  const rows: Array<[string, string, string]> = [
    ['plain text kept', 'Token is expired', 'Token is expired'],
    ['jwt removed', `bad ${JWT}!`, 'bad [redacted]!'],
    ['unsigned jwt removed', 'x eyJhbGciOiJub25lIn0.eyJzdWIiOiJhYmMifQ. y', 'x [redacted] y'],
    ['long base64 removed', `key ${'A'.repeat(30)}/${'b'.repeat(20)}= end`, 'key [redacted] end'],
    ['newlines flattened', 'line1\nline2\r\nline3', 'line1 line2 line3'],
    [
      'hostnames kept',
      'could not reach eks-auth.us-west-2.api.aws',
      'could not reach eks-auth.us-west-2.api.aws',
    ],
  ];
  for (const [name, input, expected] of rows) {
    test(name, () => expect(sanitizeUpstreamMessage(input)).toBe(expected));
  }
  test('bounded length', () => {
    const out = sanitizeUpstreamMessage('word '.repeat(1000));
    expect(out.length).toBe(256);
    expect(out.endsWith('...')).toBe(true);
  });
});

test('sanitizeUpstreamMessage: a token without the eyJ header prefix is removed when its segments are long', () => {
  const opaque = `${'a'.repeat(20)}.${'b'.repeat(30)}.${'c'.repeat(20)}`;
  expect(sanitizeUpstreamMessage(`t=${opaque};`)).toBe('t=[redacted];');
});

describe('sanitizeUpstreamMessage on hostile sizes (cut first, then linear patterns)', () => {
  test('a 1 MB base64url run without dots is removed and the result is bounded', () => {
    const out = sanitizeUpstreamMessage(`denied: ${'Ab0_-'.repeat(200_000)}`);
    expect(out.length).toBeLessThanOrEqual(MAX_UPSTREAM_MESSAGE_CHARS);
    expect(out).toBe('denied:...');
  });
  test('text beyond the scan window is not shown, and a run the cut splits is dropped, not shown in part', () => {
    const head = 'w '.repeat(MAX_UPSTREAM_MESSAGE_SCAN_CHARS / 2 - 2);
    const out = sanitizeUpstreamMessage(`${head}SECRETPART${'x'.repeat(30)} tail`, 10_000);
    expect(out).toBe(`${head.trim()}...`);
  });
  test('a JWT inside a long message is removed wherever it starts in the window', () => {
    const out = sanitizeUpstreamMessage(`${'word '.repeat(40)}${JWT} ${'more '.repeat(1000)}`, 10_000);
    expect(out).not.toContain(JWT.slice(0, 20));
    expect(out).toContain('[redacted]');
  });
});

// Verifies AWS SigV4 header signatures as AWS does: one accepted key pair, any region, one service.
import { timingSafeEqual } from 'node:crypto';
import { canonicalRequest, hmac, sha256Hex } from '../eks-auth/sigv4-canonical.ts';
import { AwsError } from './aws-error.ts';

export interface SigV4VerifierOptions {
  accessKeyId: string;
  secretAccessKey: string;
  /** When set, x-amz-security-token must equal it. */
  sessionToken?: string;
  /** Signing name the credential scope must name. */
  service: string;
  /** Allowed distance between the request's date and the clock; AWS uses 5 minutes. */
  maxSkewMs?: number;
}

export interface SignedRequest {
  method: string;
  /** Path as received, still percent-encoded. */
  rawPath: string;
  /** Query string without '?', as received. */
  rawQuery: string;
  headers: Headers;
  body: Uint8Array;
  nowMs: number;
}

export interface VerifiedSignature {
  readonly accessKeyId: string;
  readonly region: string;
}

const DEFAULT_MAX_SKEW_MS = 5 * 60_000;
const ALGORITHM = 'AWS4-HMAC-SHA256';
const AMZ_DATE = /^(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})Z$/;
const SIGNING_KEY_CACHE_MAX = 16;
const MISMATCH =
  'The request signature we calculated does not match the signature you provided. ' +
  'Check your AWS Secret Access Key and signing method. Consult the service documentation for details.';

function incomplete(message: string): AwsError {
  return new AwsError('IncompleteSignatureException', message);
}

function parseAmzDate(value: string): number | undefined {
  const m = AMZ_DATE.exec(value);
  if (!m) return undefined;
  const ms = Date.UTC(+m[1]!, +m[2]! - 1, +m[3]!, +m[4]!, +m[5]!, +m[6]!);
  return Number.isNaN(ms) ? undefined : ms;
}

function toAmzDate(ms: number): string {
  return new Date(ms)
    .toISOString()
    .replace(/[-:]/g, '')
    .replace(/\.\d{3}/, '');
}

function parseAuthorization(value: string): { credential: string; signedHeaders: string; signature: string } {
  if (!value.startsWith(`${ALGORITHM} `)) throw incomplete(`Authorization header must use ${ALGORITHM}`);
  const fields = new Map<string, string>();
  for (const part of value.slice(ALGORITHM.length + 1).split(',')) {
    const eq = part.indexOf('=');
    if (eq > 0) fields.set(part.slice(0, eq).trim(), part.slice(eq + 1).trim());
  }
  const credential = fields.get('Credential');
  const signedHeaders = fields.get('SignedHeaders');
  const signature = fields.get('Signature');
  if (!credential || !signedHeaders || !signature) {
    throw incomplete('Authorization header requires Credential, SignedHeaders and Signature');
  }
  return { credential, signedHeaders, signature };
}

/** AKID/date/region/service/aws4_request. */
type ScopeParts = [string, string, string, string, string];

/** Checks the Credential scope (and session token) against the accepted key pair and service. */
function checkScope(credential: string, headers: Headers, options: SigV4VerifierOptions) {
  const { accessKeyId, sessionToken, service } = options;
  const scope = credential.split('/');
  if (scope.length !== 5) throw incomplete('Credential must be AKID/date/region/service/aws4_request');
  const [keyId, scopeDate, region, scopeService, terminator] = scope as ScopeParts;
  // An unknown key id and a wrong session token get the same answer.
  if (
    keyId !== accessKeyId ||
    (sessionToken !== undefined && headers.get('x-amz-security-token') !== sessionToken)
  ) {
    throw new AwsError(
      'UnrecognizedClientException',
      'The security token included in the request is invalid.',
    );
  }
  if (scopeService !== service) {
    throw new AwsError(
      'InvalidSignatureException',
      `Credential should be scoped to correct service: '${service}'.`,
    );
  }
  if (terminator !== 'aws4_request' || region === '') {
    throw new AwsError(
      'InvalidSignatureException',
      'Credential should be scoped to a valid region and terminator.',
    );
  }
  return { keyId, scopeDate, region };
}

/** Reads X-Amz-Date and checks it names the same day as the credential scope. */
function readAmzDate(headers: Headers, scopeDate: string): { amzDate: string; requestMs: number } {
  const amzDate = headers.get('x-amz-date') ?? '';
  const requestMs = parseAmzDate(amzDate);
  if (requestMs === undefined) throw incomplete('X-Amz-Date header is missing or not YYYYMMDDTHHMMSSZ');
  if (scopeDate !== amzDate.slice(0, 8)) {
    throw new AwsError(
      'InvalidSignatureException',
      `Date in Credential scope does not match YYYYMMDD from ISO-8601 version of date from HTTP: '${scopeDate}' != '${amzDate.slice(0, 8)}'`,
    );
  }
  return { amzDate, requestMs };
}

/** Rejects a request whose date is further than maxSkewMs from the clock, either way. */
function checkSkew(amzDate: string, requestMs: number, nowMs: number, maxSkewMs: number): void {
  if (nowMs - requestMs > maxSkewMs) {
    throw new AwsError(
      'InvalidSignatureException',
      `Signature expired: ${amzDate} is now earlier than ${toAmzDate(nowMs - maxSkewMs)} (${toAmzDate(nowMs)} - 5 min.)`,
    );
  }
  if (requestMs - nowMs > maxSkewMs) {
    throw new AwsError(
      'InvalidSignatureException',
      `Signature not yet current: ${amzDate} is still later than ${toAmzDate(nowMs + maxSkewMs)} (${toAmzDate(nowMs)} + 5 min.)`,
    );
  }
}

export function createSigV4Verifier(
  options: SigV4VerifierOptions,
): (req: SignedRequest) => VerifiedSignature {
  const { secretAccessKey, service } = options;
  const maxSkewMs = options.maxSkewMs ?? DEFAULT_MAX_SKEW_MS;
  const signingKeys = new Map<string, Buffer>();

  function signingKey(date: string, region: string): Buffer {
    const cacheKey = `${date}/${region}`;
    let key = signingKeys.get(cacheKey);
    if (!key) {
      key = hmac(hmac(hmac(hmac(`AWS4${secretAccessKey}`, date), region), service), 'aws4_request');
      if (signingKeys.size >= SIGNING_KEY_CACHE_MAX) signingKeys.clear();
      signingKeys.set(cacheKey, key);
    }
    return key;
  }

  return function verifySigV4(req) {
    const authorization = req.headers.get('authorization');
    if (!authorization)
      throw new AwsError('MissingAuthenticationTokenException', 'Missing Authentication Token');
    const auth = parseAuthorization(authorization);
    const { keyId, scopeDate, region } = checkScope(auth.credential, req.headers, options);
    const { amzDate, requestMs } = readAmzDate(req.headers, scopeDate);
    const signedHeaders = auth.signedHeaders.split(';');
    if (!signedHeaders.includes('host') || !signedHeaders.includes('x-amz-date')) {
      throw new AwsError('InvalidSignatureException', 'SignedHeaders must include host and x-amz-date');
    }
    checkSkew(amzDate, requestMs, req.nowMs, maxSkewMs);
    const payloadHash = sha256Hex(req.body);
    const declaredHash = req.headers.get('x-amz-content-sha256');
    if (declaredHash !== null && declaredHash !== payloadHash) {
      throw new AwsError('InvalidSignatureException', 'x-amz-content-sha256 does not match the request body');
    }
    const canonical = canonicalRequest({
      method: req.method,
      rawPath: req.rawPath,
      rawQuery: req.rawQuery,
      signedHeaders,
      getHeader: (name) => req.headers.get(name),
      payloadHash,
    });
    const stringToSign = [
      ALGORITHM,
      amzDate,
      `${scopeDate}/${region}/${service}/aws4_request`,
      sha256Hex(canonical),
    ].join('\n');
    const expected = hmac(signingKey(scopeDate, region), stringToSign);
    const given = /^[0-9a-f]{64}$/.test(auth.signature)
      ? Buffer.from(auth.signature, 'hex')
      : Buffer.alloc(0);
    if (given.length !== expected.length || !timingSafeEqual(given, expected)) {
      throw new AwsError('InvalidSignatureException', MISMATCH);
    }
    return { accessKeyId: keyId, region };
  };
}

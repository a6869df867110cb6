// Signs one AssumeRoleForPodIdentity request with SigV4, the way botocore and the AWS SDK's signer do on the
// wire: SignedHeaders content-type;host;x-amz-date (+ x-amz-security-token for temporary node credentials),
// payload hash computed from the body, no x-amz-content-sha256 header. Written here from the specification
// (checked against AWS's test-suite vectors and @smithy/signature-v4 in test/eks-auth/signer.test.ts): the
// SDK's signer and the @smithy/core parts it loads cost every agent ~5 MB of resident memory once it signs
// (bench/footprint.bench.ts), for one request shape. The signing key is derived once per day and key.
import type { AwsCredentialIdentity } from '@smithy/types';
import { canonicalRequest, hmac, hmacHex, sha256Hex } from './sigv4-canonical.ts';

export interface RequestSignerOptions {
  readonly region: string;
  /** Signing name; EKS Auth is `eks-auth`. Other values exist for the SigV4 test-suite vectors. */
  readonly service?: string;
  readonly credentials: () => Promise<AwsCredentialIdentity>;
}

export interface SignableRequest {
  readonly method: string;
  readonly url: URL;
  readonly headers: Record<string, string>;
  readonly body?: string;
}

export type RequestSigner = (request: SignableRequest, signingDate: Date) => Promise<Record<string, string>>;

const ALGORITHM = 'AWS4-HMAC-SHA256';
/** Headers the AWS signers never sign (proxies and clients may change them on the way). */
const UNSIGNABLE = new Set([
  'authorization',
  'cache-control',
  'connection',
  'expect',
  'from',
  'keep-alive',
  'max-forwards',
  'pragma',
  'referer',
  'te',
  'trailer',
  'transfer-encoding',
  'upgrade',
  'user-agent',
  'x-amzn-trace-id',
]);
/** Headers the signer writes itself: any given are replaced. */
const GENERATED = new Set(['authorization', 'x-amz-date', 'x-amz-security-token', 'date']);

/** `20150830T123600Z`: ISO 8601 basic format, whole seconds, UTC. */
function amzDate(date: Date): string {
  return date
    .toISOString()
    .replace(/[-:]/g, '')
    .replace(/\.\d{3}Z$/, 'Z');
}

/** Returns a function giving the full header set to send (the input headers plus host, date, auth). */
export function createRequestSigner(options: RequestSignerOptions): RequestSigner {
  const service = options.service ?? 'eks-auth';
  const { region } = options;
  let cachedKey: { secret: string; day: string; key: Buffer } | undefined;
  function signingKey(secret: string, day: string): Buffer {
    if (cachedKey?.secret !== secret || cachedKey.day !== day) {
      const key = hmac(hmac(hmac(hmac(`AWS4${secret}`, day), region), service), 'aws4_request');
      cachedKey = { secret, day, key };
    }
    return cachedKey.key;
  }

  return async function signRequest(request, signingDate) {
    const credentials = await options.credentials();
    const date = amzDate(signingDate);
    const day = date.slice(0, 8);
    const headers: Record<string, string> = {};
    for (const [name, value] of Object.entries(request.headers)) {
      if (!GENERATED.has(name.toLowerCase())) headers[name.toLowerCase()] = value;
    }
    // `host` must be signed exactly as fetch will send it: hostname plus any non-default port.
    headers['host'] = request.url.host;
    headers['x-amz-date'] = date;
    if (credentials.sessionToken) headers['x-amz-security-token'] = credentials.sessionToken;
    const signedHeaders = Object.keys(headers)
      .filter((name) => !UNSIGNABLE.has(name))
      .sort();
    const canonical = canonicalRequest({
      method: request.method,
      rawPath: request.url.pathname,
      rawQuery: request.url.search.slice(1),
      signedHeaders,
      getHeader: (name) => headers[name] ?? null,
      payloadHash: sha256Hex(request.body ?? ''),
    });
    const scope = `${day}/${region}/${service}/aws4_request`;
    const stringToSign = `${ALGORITHM}\n${date}\n${scope}\n${sha256Hex(canonical)}`;
    const signature = hmacHex(signingKey(credentials.secretAccessKey, day), stringToSign);
    headers['authorization'] =
      `${ALGORITHM} Credential=${credentials.accessKeyId}/${scope}, ` +
      `SignedHeaders=${signedHeaders.join(';')}, Signature=${signature}`;
    return headers;
  };
}

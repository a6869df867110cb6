// Signs one AssumeRoleForPodIdentity request with SigV4 (the AWS SDK's own signer), the way botocore does
// on the wire: SignedHeaders content-type;host;x-amz-date (+ x-amz-security-token for temporary node
// credentials), payload hash computed from the body, no x-amz-content-sha256 header.
import { SignatureV4 } from '@smithy/signature-v4';
import type { AwsCredentialIdentity, HttpRequest } from '@smithy/types';
import { NativeSha256 } from './sha256.ts';

export interface RequestSignerOptions {
  readonly region: string;
  /** Signing name; EKS Auth is `eks-auth`. Other values exist for the SigV4 test-suite vectors. */
  readonly service?: string;
  readonly credentials: () => Promise<AwsCredentialIdentity>;
  /** Hash implementation; defaults to native crypto. */
  readonly sha256?: ConstructorParameters<typeof SignatureV4>[0]['sha256'];
}

export interface SignableRequest {
  readonly method: string;
  readonly url: URL;
  readonly headers: Record<string, string>;
  readonly body?: string;
}

export type RequestSigner = (request: SignableRequest, signingDate: Date) => Promise<Record<string, string>>;

/** Returns a function giving the full header set to send (the input headers plus host, date, auth). */
export function createRequestSigner(options: RequestSignerOptions): RequestSigner {
  const signer = new SignatureV4({
    service: options.service ?? 'eks-auth',
    region: options.region,
    credentials: options.credentials,
    sha256: options.sha256 ?? NativeSha256,
    uriEscapePath: true,
    applyChecksum: false,
  });
  return async function signRequest(request, signingDate) {
    const query: Record<string, string> = {};
    for (const [k, v] of request.url.searchParams) query[k] = v;
    const httpRequest: HttpRequest = {
      method: request.method,
      protocol: request.url.protocol,
      hostname: request.url.hostname,
      port: request.url.port === '' ? undefined : Number(request.url.port),
      path: request.url.pathname,
      query,
      // `host` must be signed exactly as fetch will send it: hostname plus any non-default port.
      headers: { ...request.headers, host: request.url.host },
      body: request.body,
    };
    const signed = await signer.sign(httpRequest, { signingDate });
    return signed.headers;
  };
}

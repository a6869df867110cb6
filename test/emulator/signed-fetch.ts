// Test helper: calls AssumeRoleForPodIdentity on an emulator, signed by the AWS SDK's own SigV4 signer.
import { Sha256 } from '@aws-crypto/sha256-js';
import { SignatureV4 } from '@smithy/signature-v4';
import { DEFAULT_ACCESS_KEY_ID, DEFAULT_SECRET_ACCESS_KEY } from '../../src/emulator/index.ts';

export interface SignedCallOptions {
  clusterName?: string;
  accessKeyId?: string;
  secretAccessKey?: string;
  sessionToken?: string;
  region?: string;
  service?: string;
  /** Signing time; default now. */
  signingDate?: Date;
  /** Raw body instead of {"token": token}. */
  rawBody?: string;
  /** Changes the body after signing. */
  tamperBody?: (body: string) => string;
}

export async function callAssumeRole(
  baseUrl: string,
  token: string,
  o: SignedCallOptions = {},
): Promise<Response> {
  const url = new URL(baseUrl);
  const path = `/clusters/${encodeURIComponent(o.clusterName ?? 'my-cluster')}/assume-role-for-pod-identity`;
  const body = o.rawBody ?? JSON.stringify({ token });
  const signer = new SignatureV4({
    service: o.service ?? 'eks-auth',
    region: o.region ?? 'us-west-2',
    sha256: Sha256,
    credentials: {
      accessKeyId: o.accessKeyId ?? DEFAULT_ACCESS_KEY_ID,
      secretAccessKey: o.secretAccessKey ?? DEFAULT_SECRET_ACCESS_KEY,
      ...(o.sessionToken ? { sessionToken: o.sessionToken } : {}),
    },
  });
  const signed = await signer.sign(
    {
      method: 'POST',
      protocol: url.protocol,
      hostname: url.hostname,
      port: Number(url.port),
      path,
      query: {},
      headers: { host: url.host, 'content-type': 'application/json' },
      body,
    },
    o.signingDate ? { signingDate: o.signingDate } : {},
  );
  return fetch(`${baseUrl}${path}`, {
    method: 'POST',
    headers: signed.headers,
    body: o.tamperBody ? o.tamperBody(body) : body,
  });
}

/** The parts of an error answer a client reads. */
export async function errorOf(
  res: Response,
): Promise<{ status: number; code: string | null; body: Record<string, string> }> {
  const text = await res.text();
  let body: Record<string, string> = {};
  try {
    body = JSON.parse(text);
  } catch {
    // Not JSON (e.g. the HttpError fault): callers read status and headers only.
  }
  return { status: res.status, code: res.headers.get('x-amzn-errortype'), body };
}

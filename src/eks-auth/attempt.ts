// One EKS Auth attempt: sign the request, send it (transport.ts), and turn the answer into a result or the
// error it stands for (an error answer, a cut body, or a success that does not parse).
import type { Clock, Timers } from '../clock.ts';
import { VERSION } from '../version.ts';
import { classifyErrorResponse, upstreamRequestId } from './classify-error.ts';
import { EksAuthError } from './errors.ts';
import { parseAssumeRoleResponse } from './parse-response.ts';
import type { RequestSigner } from './signer.ts';
import { bodyBoundBytes, type FetchLike, sendAttempt } from './transport.ts';
import type { AssumeRoleForPodIdentityResult } from './types.ts';

export interface AttemptOptions {
  readonly url: URL;
  readonly sign: RequestSigner;
  readonly clock: Clock;
  readonly proxy: string | undefined;
  readonly tls: { readonly ca: string } | undefined;
  readonly requestTimeoutMs: number;
  readonly maxResponseBytes: number;
  readonly fetch: FetchLike | undefined;
  readonly timers: Timers;
  /** The turn an answer waits for before it is worked (transport.ts). */
  readonly nextTurn: () => Promise<void>;
}

export type Attempt = (body: string, signal: AbortSignal) => Promise<AssumeRoleForPodIdentityResult>;

export function createAttempt(options: AttemptOptions): Attempt {
  const { url, sign, clock, maxResponseBytes } = options;
  const baseHeaders = {
    'content-type': 'application/json',
    'user-agent': `eks-pod-identity-agent/${VERSION}`,
  };
  return async (body, signal) => {
    const signed = await sign({ method: 'POST', url, headers: baseHeaders, body }, new Date(clock.now()));
    const res = await sendAttempt({
      url,
      headers: signed,
      body,
      proxy: options.proxy,
      requestTimeoutMs: options.requestTimeoutMs,
      maxResponseBytes,
      signal,
      fetch: options.fetch,
      timers: options.timers,
      tls: options.tls,
      nextTurn: options.nextTurn,
    });
    const requestId = upstreamRequestId(res.headers);
    if (res.status < 200 || res.status > 299)
      throw classifyErrorResponse(
        res.status,
        res.headers,
        res.bodyText,
        res.truncated ? bodyBoundBytes(res.status, maxResponseBytes) : undefined,
      );
    if (res.truncated) {
      throw new EksAuthError(
        'UpstreamMalformedResponse',
        `EKS Auth response larger than ${maxResponseBytes} bytes`,
        {
          kind: 'malformed',
          requestId,
          upstreamStatus: res.status,
        },
      );
    }
    return parseAssumeRoleResponse(res.bodyText, requestId);
  };
}

// POST /clusters/{clusterName}/assume-role-for-pod-identity: faults, SigV4, token, association, answer.
import { randomUUID } from 'node:crypto';
import type { Clock } from '../clock.ts';
import { waitOrAbort } from '../shared/abortable-wait.ts';
import { readBoundedBody } from '../shared/bounded-read.ts';
import type { AssociationStore } from './associations.ts';
import { buildAssumeRoleOutput, buildMalformedOutput } from './assume-role-response.ts';
import {
  AwsError,
  type AwsErrorCode,
  awsErrorBody,
  awsErrorResponse,
  isAwsErrorCode,
  jsonResponse,
} from './aws-error.ts';
import { type CallTrace, epochMs, type TraceNote, traceCall, tracePodName } from './call-trace.ts';
import type { FaultState } from './faults.ts';
import { parseJsonBytes } from './json-bytes.ts';
import type { SignedRequest, VerifiedSignature } from './sigv4-verifier.ts';
import type { StatsRecorder } from './stats.ts';
import type { VerifiedToken } from './token-verifier.ts';

export const MAX_API_BODY_BYTES = 8192;
/** Requests held open at once by a 'hang' outage; beyond it they get a 503 so sockets stay bounded. */
export const MAX_HANGING_REQUESTS = 1024;
const CLUSTER_NAME = /^[0-9A-Za-z][A-Za-z0-9\-_]{0,99}$/;

export interface AssumeRoleHandlerOptions {
  clock: Clock;
  credentialTtlSeconds: number;
  verifySigV4: (req: SignedRequest) => VerifiedSignature;
  verifyToken: (token: unknown, nowMs: number) => VerifiedToken;
  associations: AssociationStore;
  faults: FaultState;
  stats: StatsRecorder;
  /** Aborted when the emulator stops: ends latency waits and hangs. */
  stopSignal: AbortSignal;
  /** Lifts the server's idle timeout for a request that is meant to stay open. */
  keepOpen: (request: Request) => void;
  /** Records each call while on (benches' accounting; off by default). */
  trace?: CallTrace;
}

export type AssumeRoleHandler = (request: Request, url: URL, rawClusterName: string) => Promise<Response>;

/** A run of base64url characters without a dot: the worst case for a backtracking token pattern. */
function hostileText(chars: number): string {
  const unit = 'AbCdEfGhIjKlMnOpQrStUvWxYz0123456789-_';
  return unit.repeat(Math.ceil(chars / unit.length)).slice(0, chars);
}

function decodeClusterName(raw: string): string {
  try {
    return decodeURIComponent(raw);
  } catch {
    return '';
  }
}

/** What `answer` needs from its handler: the options, and the handler's failure and hostile-body helpers. */
interface AnswerContext {
  options: AssumeRoleHandlerOptions;
  /** `body` as awsErrorResponse takes it: the serialised error unless given. */
  fail: (err: AwsError, requestId: string, body?: string | Uint8Array | null) => Response;
  hostileBody: (code: AwsErrorCode, chars: number) => Uint8Array;
}

/** The answer an injected per-call fault asks for; undefined when the call should be served normally. */
function faultResponse(ctx: AnswerContext, requestId: string): Response | undefined {
  const { faults, stats } = ctx.options;
  const decision = faults.admit();
  if (decision.kind === 'error' && isAwsErrorCode(decision.code)) {
    const { failMessageChars, failEmptyBody } = faults.current();
    const err = new AwsError(decision.code, `Injected fault: ${decision.code}`);
    if (failEmptyBody === true) return ctx.fail(err, requestId, null);
    if (failMessageChars !== undefined)
      return ctx.fail(err, requestId, ctx.hostileBody(decision.code, failMessageChars));
    throw err;
  }
  if (decision.kind === 'malformed') {
    stats.failure('MalformedResponse', 200);
    return jsonResponse(200, buildMalformedOutput(), requestId);
  }
  if (decision.kind === 'http-error') {
    stats.failure('HttpError', 502);
    return new Response('<html><body><h1>502 Bad Gateway</h1></body></html>', {
      status: 502,
      headers: { 'content-type': 'text/html', 'x-amzn-requestid': requestId },
    });
  }
  return undefined;
}

async function answer(
  ctx: AnswerContext,
  request: Request,
  url: URL,
  rawClusterName: string,
  requestId: string,
  note?: TraceNote,
): Promise<Response> {
  const { clock, verifySigV4, verifyToken, associations, stats } = ctx.options;
  const clusterName = decodeClusterName(rawClusterName);
  if (!CLUSTER_NAME.test(clusterName)) {
    throw new AwsError(
      'InvalidParameterException',
      'clusterName must match [0-9A-Za-z][A-Za-z0-9\\-_]* (1-100)',
    );
  }
  const body = await readBoundedBody(request, MAX_API_BODY_BYTES);
  if (!body)
    throw new AwsError('InvalidRequestException', `Request body is larger than ${MAX_API_BODY_BYTES} bytes`);
  const signature = verifySigV4({
    method: request.method,
    rawPath: url.pathname,
    rawQuery: url.search.slice(1),
    headers: request.headers,
    body,
    nowMs: clock.now(),
  });
  if (note) Object.assign(note, { admittedMs: epochMs(), pod: tracePodName(body) });
  const faulted = faultResponse(ctx, requestId);
  if (faulted) return faulted;
  const parsed = parseJsonBytes(body);
  const input = parsed?.value;
  if (typeof input !== 'object' || input === null || Array.isArray(input)) {
    throw new AwsError('InvalidRequestException', 'Request body must be a JSON object {"token": "..."}');
  }
  const nowMs = clock.now();
  const identity = verifyToken((input as { token?: unknown }).token, nowMs);
  const association = associations.lookup(identity.namespace, identity.serviceAccount);
  if (!association) {
    throw new AwsError(
      'ResourceNotFoundException',
      `No Pod Identity Association for service account ${identity.namespace}/${identity.serviceAccount} in cluster ${clusterName}`,
    );
  }
  const output = buildAssumeRoleOutput(identity, association, {
    clusterName,
    region: signature.region,
    nowMs,
    credentialTtlSeconds: ctx.options.credentialTtlSeconds,
  });
  stats.success();
  return jsonResponse(200, output, requestId);
}

export function createAssumeRoleHandler(options: AssumeRoleHandlerOptions): AssumeRoleHandler {
  const { faults, stats, stopSignal, keepOpen, trace } = options;
  let hanging = 0;
  // The last hostile error body, serialised once: rebuilding a 1 MB body per call spent the emulator's CPU,
  // which shares the machine's cores with the agent a bench measures.
  let lastHostile: { code: string; chars: number; body: Uint8Array } | undefined;
  function hostileBody(code: AwsErrorCode, chars: number): Uint8Array {
    if (lastHostile?.code !== code || lastHostile.chars !== chars) {
      const body = Buffer.from(awsErrorBody(new AwsError(code, hostileText(chars))));
      lastHostile = { code, chars, body };
    }
    return lastHostile.body;
  }

  function fail(err: AwsError, requestId: string, body?: string | Uint8Array | null): Response {
    stats.failure(err.code, err.status);
    return awsErrorResponse(err, requestId, body);
  }
  const ctx: AnswerContext = { options, fail, hostileBody };

  async function hang(request: Request, requestId: string): Promise<Response> {
    if (hanging >= MAX_HANGING_REQUESTS) {
      return fail(new AwsError('ServiceUnavailableException', 'Service unavailable (hang limit)'), requestId);
    }
    stats.failure('Hang', 0);
    hanging++;
    keepOpen(request);
    await waitOrAbort(undefined, [request.signal, stopSignal]);
    hanging--;
    // Nobody reads this: the client has gone or the server is closing its connections.
    return new Response(null, { status: 503 });
  }

  return async function handleAssumeRole(request, url, rawClusterName) {
    const requestId = randomUUID();
    const arrivedMs = trace?.on ? epochMs() : 0;
    stats.call();
    const outage = faults.outage();
    if (outage.kind === 'hang') return hang(request, requestId);
    if (outage.kind === 'error' && isAwsErrorCode(outage.code)) {
      return fail(new AwsError(outage.code, 'Service unavailable (injected outage)'), requestId);
    }
    const latencyMs = faults.latencyMs();
    if (latencyMs > 0) {
      keepOpen(request);
      await waitOrAbort(latencyMs, [request.signal, stopSignal]);
    }
    return traceCall(trace, requestId, arrivedMs, async (note) => {
      try {
        return await answer(ctx, request, url, rawClusterName, requestId, note);
      } catch (err) {
        if (err instanceof AwsError) return fail(err, requestId);
        // A bug in the emulator: answer like the service's own 500, without details that could hold secrets.
        return fail(new AwsError('InternalServerException', 'Internal server error'), requestId);
      }
    });
  };
}

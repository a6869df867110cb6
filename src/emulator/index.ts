// Local stand-in for AWS EKS Auth (real REST-JSON protocol, SigV4 checked) plus a service-account token
// issuer, for `local` mode, integration tests and benchmarks.
import { randomUUID } from 'node:crypto';
import { createClosers } from '../cli/shutdown.ts';
import { systemClock } from '../clock.ts';
import { hostPort, reachableHost } from '../shared/host-port.ts';
import { ADMIN_PREFIX, createAdminApi, MAX_ADMIN_BODY_BYTES } from './admin-api.ts';
import { createAssociationStore } from './associations.ts';
import { createAssumeRoleHandler } from './assume-role-handler.ts';
import { AwsError, awsErrorResponse } from './aws-error.ts';
import { createCallTrace } from './call-trace.ts';
import { createFaultState } from './faults.ts';
import {
  InputError,
  integerIn,
  parseAssociations,
  parseFaults,
  parseTokenRequest,
} from './input-validation.ts';
import { startKubeApiStandIn } from './kube-api/index.ts';
import { createSigV4Verifier } from './sigv4-verifier.ts';
import { createStats } from './stats.ts';
import { createTokenIssuer, JWKS_PATH, type TokenIssuer } from './token-issuer.ts';
import { createTokenVerifier } from './token-verifier.ts';
import type { Association, Emulator, EmulatorOptions } from './types.ts';

export { InputError } from './input-validation.ts';
export type {
  Association,
  Emulator,
  EmulatorFaults,
  EmulatorOptions,
  EmulatorStats,
  FailWithCode,
  TokenRequest,
} from './types.ts';

export const DEFAULT_ACCESS_KEY_ID = 'AKIAIOSFODNN7EXAMPLE';
export const DEFAULT_SECRET_ACCESS_KEY = 'wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY';
export const DEFAULT_CREDENTIAL_TTL_SECONDS = 21_600;
export const EKS_AUTH_SIGNING_NAME = 'eks-auth';
const ASSUME_ROLE_PATH = /^\/clusters\/([^/]+)\/assume-role-for-pod-identity$/;
const OPENID_CONFIGURATION_PATH = '/.well-known/openid-configuration';

/** The base URL clients use: a wildcard bind address is reached through loopback. */
function baseUrl(host: string, port: number): string {
  return `http://${hostPort(reachableHost(host), port)}`;
}

function nonEmpty(value: string | undefined, fallback: string, name: string): string {
  if (value === undefined) return fallback;
  if (typeof value !== 'string' || value.length === 0)
    throw new InputError(`${name} must be a non-empty string`);
  return value;
}

/** The listen address, credential lifetime and SigV4 key pair, checked (InputError on a bad one). */
function checkOptions(options: EmulatorOptions) {
  const port = integerIn(options.port ?? 0, 0, 65_535, 'port');
  const host = nonEmpty(options.host, '127.0.0.1', 'host');
  const credentialTtlSeconds = integerIn(
    options.credentialTtlSeconds ?? DEFAULT_CREDENTIAL_TTL_SECONDS,
    1,
    7 * 86_400,
    'credentialTtlSeconds',
  );
  const verifySigV4 = createSigV4Verifier({
    accessKeyId: nonEmpty(options.accessKeyId, DEFAULT_ACCESS_KEY_ID, 'accessKeyId'),
    secretAccessKey: nonEmpty(options.secretAccessKey, DEFAULT_SECRET_ACCESS_KEY, 'secretAccessKey'),
    sessionToken: options.sessionToken,
    service: EKS_AUTH_SIGNING_NAME,
  });
  return { port, host, credentialTtlSeconds, verifySigV4 };
}

export async function startEmulator(options: EmulatorOptions = {}): Promise<Emulator> {
  const clock = options.clock ?? systemClock;
  const { port, host, credentialTtlSeconds, verifySigV4 } = checkOptions(options);
  const stats = createStats();
  const trace = createCallTrace();
  const faults = createFaultState({ clock, random: options.random ?? Math.random });
  const associations = createAssociationStore();
  let explicitAssociations: Association[] | null = null;
  const setAssociations = (list: Association[] | null) => {
    explicitAssociations = list === null ? null : parseAssociations(list);
    associations.set(explicitAssociations);
  };
  const stopController = new AbortController();

  // The issuer URL depends on the bound port, so the routes are installed once the port is known.
  let route: (request: Request) => Response | Promise<Response> = () =>
    new Response('starting', { status: 503 });
  const server = Bun.serve({
    port,
    hostname: host,
    development: false,
    // Headroom above our own limits, so oversize bodies get our clear error; far larger ones Bun's 413.
    maxRequestBodySize: 2 * MAX_ADMIN_BODY_BYTES,
    fetch: (request) => route(request),
    error: () =>
      awsErrorResponse(new AwsError('InternalServerException', 'Internal server error'), randomUUID()),
  });
  const boundPort = server.port ?? port;
  const url = baseUrl(host, boundPort);
  // What is built registers its closer: a failed start and stop() release the same list.
  const closers = createClosers();
  closers.add(() => server.stop(true));
  try {
    const issuer = await createTokenIssuer({ issuer: url, clock });
    const kubeApi = options.kubeApi
      ? await startKubeApiStandIn({ issuer, clock, host: host === '0.0.0.0' ? '127.0.0.1' : host })
      : undefined;
    if (kubeApi) closers.add(() => kubeApi.stop());
    const assumeRole = createAssumeRoleHandler({
      clock,
      credentialTtlSeconds,
      verifySigV4,
      verifyToken: createTokenVerifier({ issuer: url, publicKeyFor: issuer.publicKeyFor }),
      associations,
      faults,
      stats,
      trace,
      stopSignal: stopController.signal,
      keepOpen: (request) => server.timeout(request, 0),
    });
    const admin = createAdminApi({
      issuer,
      stats,
      faults,
      trace,
      setAssociations,
      getAssociations: () => explicitAssociations,
    });
    route = createRoute(assumeRole, admin, issuer);
    return {
      url,
      port: boundPort,
      issueToken: async (req) => issuer.issue(parseTokenRequest(req)),
      stats: () => stats.snapshot(),
      resetStats: () => stats.reset(),
      setFaults: (f) => faults.set(parseFaults(f)),
      resetFaults: () => faults.reset(),
      setAssociations,
      rotateSigningKey: () => issuer.rotateKey(),
      kubeApi,
      stop() {
        stopController.abort();
        return closers.close();
      },
    };
  } catch (err) {
    await closers.close();
    throw err;
  }
}

/** Routes the emulator's one listener: EKS Auth's operation, the admin API, issuer discovery and keys. */
function createRoute(
  assumeRole: ReturnType<typeof createAssumeRoleHandler>,
  admin: ReturnType<typeof createAdminApi>,
  issuer: TokenIssuer,
): (request: Request) => Response | Promise<Response> {
  return (request) => {
    const parsed = new URL(request.url);
    const path = parsed.pathname;
    const match = ASSUME_ROLE_PATH.exec(path);
    if (match && request.method === 'POST') return assumeRole(request, parsed, match[1]!);
    if (path.startsWith(ADMIN_PREFIX)) return admin(request, path);
    if (request.method === 'GET' && path === OPENID_CONFIGURATION_PATH)
      return Response.json(issuer.openidConfiguration());
    if (request.method === 'GET' && path === JWKS_PATH) return Response.json(issuer.jwks());
    const what = match
      ? `${request.method} is not supported on ${path}`
      : `No operation at ${request.method} ${path}`;
    return awsErrorResponse(new AwsError('UnknownOperationException', what), randomUUID());
  };
}

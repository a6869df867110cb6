// The node's credentials from the EC2 instance metadata service (IMDSv2, IMDSv1 as the fallback), for the common
// EC2 node: no credentials in the environment and nothing else in the SDK's default chain that could answer
// first. Loading @aws-sdk/credential-provider-node only to reach IMDS costs an agent ~5.6 MB of RSS idle
// (IMDS_STAND_IN=1 bench/footprint-probe.ts, both ways in one executable; README, the node-credentials note), so
// the agent speaks IMDS itself in exactly the case where the chain would have reached it, with the behaviour of
// @smithy/credential-provider-imds 4.5 (what the chain uses): the endpoint from AWS_EC2_METADATA_SERVICE_ENDPOINT
// or AWS_EC2_METADATA_SERVICE_ENDPOINT_MODE, 1 s per request and no retries, a session token requested on each
// load (PUT /latest/api/token, TTL 21600 s), IMDSv1 for the load when the token request fails other than with a
// 400 (and for later loads too after a 403, 404 or 405; never with AWS_EC2_METADATA_V1_DISABLED), and static
// stability: after one success, a failed or expired load serves the last credentials with their expiry moved 5-10
// minutes out. Where we are stricter: the SDK's 1 s is a socket idle timeout, which an answer dripping a byte a
// second never trips, ours a deadline for the whole request; answers are bounded (64 KiB); a role name must be an
// IAM role name; an Expiration that is not a date is an error (the SDK keeps an Invalid Date, which its chain
// then never refreshes).
import type { AwsCredentialIdentity } from '@smithy/types';
import type { Clock } from '../clock.ts';
import type { Logger } from '../observability/logger.ts';
import { readBoundedText } from '../shared/bounded-read.ts';
import { nodePath } from '../shared/builtins.ts';

type Environment = Readonly<Record<string, string | undefined>>;

export const IMDS_DEFAULTS = {
  timeoutMs: 1_000,
  tokenTtlSeconds: 21_600,
  /** Static stability: an extension is 5 minutes plus up to 5 more. */
  extensionMs: 5 * 60_000,
  extensionJitterMs: 5 * 60_000,
  /** Metadata answers are a role name or a small JSON document. */
  maxResponseBytes: 64 * 1024,
} as const;

const IPV4_ENDPOINT = 'http://169.254.169.254';
const IPV6_ENDPOINT = 'http://[fd00:ec2::254]';
const TOKEN_PATH = '/latest/api/token';
const CREDENTIALS_PATH = '/latest/meta-data/iam/security-credentials/';
const TOKEN_HEADER = 'x-aws-ec2-metadata-token';
const IAM_ROLE_NAME = /^[\w+=,.@-]{1,64}$/;

/** The SDK's reading of a boolean switch: set and not "false". */
function switchedOn(value: string | undefined): boolean {
  return value !== undefined && value !== '' && value !== 'false';
}

/**
 * The IMDS base URL (scheme, host and port), as the SDK chooses it from the environment. The SDK parses
 * AWS_EC2_METADATA_SERVICE_ENDPOINT and sends its requests to that host and port over node:http with its own
 * paths, so a path, query or user info in the variable is ignored here too, and a scheme other than http: fails
 * (node:http speaks no other). Throws on an unknown endpoint mode.
 */
export function imdsEndpoint(env: Environment): string {
  const explicit = env['AWS_EC2_METADATA_SERVICE_ENDPOINT'];
  if (explicit) {
    let url: URL;
    try {
      url = new URL(explicit);
    } catch {
      throw new ImdsError('AWS_EC2_METADATA_SERVICE_ENDPOINT is not a URL');
    }
    if (url.protocol !== 'http:')
      throw new ImdsError(
        `AWS_EC2_METADATA_SERVICE_ENDPOINT has scheme ${url.protocol}; the instance metadata service is http:`,
      );
    return `http://${url.host}`;
  }
  const mode = env['AWS_EC2_METADATA_SERVICE_ENDPOINT_MODE'] ?? 'IPv4';
  if (mode === 'IPv4') return IPV4_ENDPOINT;
  if (mode === 'IPv6') return IPV6_ENDPOINT;
  throw new Error(`Unsupported endpoint mode: ${mode}. Select from IPv4, IPv6`);
}

export interface ChainInputs {
  readonly env: Environment;
  /** Whether a file exists (the shared credentials and config files). */
  readonly fileExists: (path: string) => boolean;
  /** The home directory the SDK would use when HOME is not set. */
  readonly homedir: () => string;
}

/**
 * The SDK's home directory (@smithy/core's getHomeDir): HOME, USERPROFILE, HOMEDRIVE (default C: and a
 * separator) + HOMEPATH, else the OS's.
 */
export function homeDirectory(env: Environment, homedir: () => string): string {
  if (env['HOME']) return env['HOME'];
  if (env['USERPROFILE']) return env['USERPROFILE'];
  if (env['HOMEPATH']) return `${env['HOMEDRIVE'] ?? `C:${nodePath().sep}`}${env['HOMEPATH']}`;
  return homedir();
}

/** A shared-file path as the SDK resolves it (loadSharedConfigFiles): only a leading `~/` is the home directory. */
export function expandHome(path: string, home: string): string {
  return path.startsWith('~/') ? nodePath().join(home, path.slice(2)) : path;
}

/**
 * Whether @aws-sdk/credential-provider-node's default chain, for this environment, would get the node's
 * credentials from IMDS. Its links before IMDS, as installed: fromEnv (both keys; skipped when AWS_PROFILE is
 * set), fromSSO (skipped: the agent passes it no SSO fields), fromIni and fromProcess (only from the shared
 * credentials and config files, whatever AWS_PROFILE names), fromTokenFile (AWS_WEB_IDENTITY_TOKEN_FILE and
 * AWS_ROLE_ARN both, else a profile in those files), then the container endpoint when either of its variables is
 * set, else IMDS unless AWS_EC2_METADATA_DISABLED. So: no static keys without AWS_PROFILE (environmentCredentials
 * answers those first anyway), no complete web identity pair, no container variable, IMDS not switched off, and
 * neither shared file where the SDK looks for it. A file that exists but gives no credentials (empty, another
 * profile, a directory) loads the chain, which then reaches IMDS itself: parsing it is the chain's job.
 */
export function chainReachesImds(inputs: ChainInputs): boolean {
  const { env } = inputs;
  if (!env['AWS_PROFILE'] && env['AWS_ACCESS_KEY_ID'] && env['AWS_SECRET_ACCESS_KEY']) return false;
  if (env['AWS_WEB_IDENTITY_TOKEN_FILE'] && env['AWS_ROLE_ARN']) return false;
  if (env['AWS_CONTAINER_CREDENTIALS_RELATIVE_URI'] || env['AWS_CONTAINER_CREDENTIALS_FULL_URI'])
    return false;
  if (switchedOn(env['AWS_EC2_METADATA_DISABLED'])) return false;
  const home = homeDirectory(env, inputs.homedir);
  const credentialsFile = expandHome(
    env['AWS_SHARED_CREDENTIALS_FILE'] || nodePath().join(home, '.aws', 'credentials'),
    home,
  );
  const configFile = expandHome(env['AWS_CONFIG_FILE'] || nodePath().join(home, '.aws', 'config'), home);
  return !inputs.fileExists(credentialsFile) && !inputs.fileExists(configFile);
}

/** An IMDS failure: the HTTP status when IMDS answered one, for the fallback decision. */
export class ImdsError extends Error {
  readonly statusCode: number | undefined;
  readonly timedOut: boolean;
  constructor(message: string, options: { statusCode?: number; timedOut?: boolean; cause?: unknown } = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'ImdsError';
    this.statusCode = options.statusCode;
    this.timedOut = options.timedOut ?? false;
  }
}

export type ImdsFetch = (url: string, init: RequestInit & { proxy?: unknown }) => Promise<Response>;

export interface ImdsCredentialsOptions {
  readonly env: Environment;
  readonly clock: Clock;
  readonly logger?: Logger | undefined;
  readonly fetch?: ImdsFetch;
  readonly timeoutMs?: number;
  /** 0..1, for the static stability jitter. */
  readonly random?: () => number;
}

/** One IMDS request with the SDK's timeout; never through a proxy (the SDK uses node:http, which ignores them). */
async function imdsRequest(
  doFetch: ImdsFetch,
  url: string,
  init: { method: 'GET' | 'PUT'; headers: Record<string, string> },
  timeoutMs: number,
): Promise<string> {
  const signal = AbortSignal.timeout(timeoutMs);
  let response: Response;
  try {
    response = await doFetch(url, { ...init, signal, redirect: 'manual', proxy: false });
  } catch (err) {
    if (signal.aborted) throw new ImdsError('instance metadata service timed out', { timedOut: true });
    throw new ImdsError('unable to connect to the instance metadata service', { cause: err });
  }
  try {
    if (response.status < 200 || response.status >= 300) {
      await response.body?.cancel();
      throw new ImdsError(`instance metadata service answered ${response.status}`, {
        statusCode: response.status,
      });
    }
    const max = IMDS_DEFAULTS.maxResponseBytes;
    return await readBoundedText(response, max, () => {
      throw new ImdsError(`instance metadata answer is over ${max} bytes`);
    });
  } catch (err) {
    if (err instanceof ImdsError) throw err;
    if (signal.aborted) throw new ImdsError('instance metadata service timed out', { timedOut: true });
    throw new ImdsError('reading the instance metadata answer failed', { cause: err });
  }
}

/** The credentials document IMDS serves for a role, checked as the SDK checks it. */
function parseCredentials(text: string): AwsCredentialIdentity {
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch {
    throw new ImdsError('invalid response received from the instance metadata service (not JSON)');
  }
  const d = doc as Record<string, unknown> | null;
  if (
    d === null ||
    typeof d !== 'object' ||
    typeof d['AccessKeyId'] !== 'string' ||
    typeof d['SecretAccessKey'] !== 'string' ||
    typeof d['Token'] !== 'string' ||
    typeof d['Expiration'] !== 'string'
  ) {
    throw new ImdsError('invalid response received from the instance metadata service (missing fields)');
  }
  const expiration = new Date(d['Expiration']);
  if (Number.isNaN(expiration.getTime()))
    throw new ImdsError('invalid response received from the instance metadata service (bad Expiration)');
  return {
    accessKeyId: d['AccessKeyId'],
    secretAccessKey: d['SecretAccessKey'],
    sessionToken: d['Token'],
    expiration,
    ...(typeof d['AccountId'] === 'string' && d['AccountId'] !== '' ? { accountId: d['AccountId'] } : {}),
  };
}

export function createImdsCredentials(options: ImdsCredentialsOptions): () => Promise<AwsCredentialIdentity> {
  const { env, clock, logger } = options;
  const doFetch: ImdsFetch = options.fetch ?? ((url, init) => fetch(url, init as RequestInit));
  const timeoutMs = options.timeoutMs ?? IMDS_DEFAULTS.timeoutMs;
  const random = options.random ?? Math.random;
  const v1Disabled = switchedOn(env['AWS_EC2_METADATA_V1_DISABLED']);
  // After a token request answered 403/404/405, later loads go straight to IMDSv1 (the SDK's
  // disableFetchToken), until IMDSv1 answers 401 (IMDSv2 is required after all). A timed-out token request
  // falls back for that load only: the SDK means to skip the token after a timeout too, but compares the
  // error's message with "TimeoutError" and its own timeout error says more, so it asks again next load.
  // With IMDSv1 disabled there is nothing to skip to: the token is always asked for (the SDK would fail every
  // later load after one 403/404/405 from the token route).
  let skipToken = false;
  let past: AwsCredentialIdentity | undefined;

  async function token(base: string): Promise<string | undefined> {
    if (skipToken) return undefined;
    try {
      return await imdsRequest(
        doFetch,
        base + TOKEN_PATH,
        {
          method: 'PUT',
          headers: { 'x-aws-ec2-metadata-token-ttl-seconds': String(IMDS_DEFAULTS.tokenTtlSeconds) },
        },
        timeoutMs,
      );
    } catch (err) {
      const e = err as ImdsError;
      if (e.statusCode === 400)
        throw new ImdsError('EC2 metadata token request returned 400', { statusCode: 400 });
      if (!v1Disabled && (e.statusCode === 403 || e.statusCode === 404 || e.statusCode === 405))
        skipToken = true;
      return undefined;
    }
  }

  async function load(): Promise<AwsCredentialIdentity> {
    const base = imdsEndpoint(env);
    const sessionToken = await token(base);
    if (sessionToken === undefined && v1Disabled)
      throw new ImdsError(
        'IMDSv1 fallback is blocked by AWS_EC2_METADATA_V1_DISABLED and no IMDSv2 token was issued',
      );
    const headers: Record<string, string> =
      sessionToken === undefined ? {} : { [TOKEN_HEADER]: sessionToken };
    const get = async (path: string) => {
      try {
        return await imdsRequest(doFetch, base + path, { method: 'GET', headers }, timeoutMs);
      } catch (err) {
        if ((err as ImdsError).statusCode === 401) skipToken = false;
        throw err;
      }
    };
    const role = (await get(CREDENTIALS_PATH)).trim();
    // An IAM role name (1-64 of [A-Za-z0-9+=,.@_-]); anything else would make the next path another
    // resource ("..", "?", "#") or not a path at all. Not echoed: it came from the network.
    if (!IAM_ROLE_NAME.test(role) || role === '.' || role === '..')
      throw new ImdsError('instance metadata service named no usable instance role');
    return parseCredentials(await get(CREDENTIALS_PATH + role));
  }

  function extended(creds: AwsCredentialIdentity): AwsCredentialIdentity {
    const expiration = new Date(
      clock.now() + IMDS_DEFAULTS.extensionMs + Math.floor(random() * IMDS_DEFAULTS.extensionJitterMs),
    );
    logger?.warn(
      { expiration: expiration.toISOString() },
      'instance metadata credentials unavailable or expired; using the last ones with their expiry extended (static stability)',
    );
    return { ...creds, expiration };
  }

  return async () => {
    let creds: AwsCredentialIdentity;
    try {
      creds = await load();
      if (creds.expiration !== undefined && creds.expiration.getTime() < clock.now()) creds = extended(creds);
    } catch (err) {
      if (past === undefined) throw err;
      logger?.warn({ reason: (err as Error).message }, 'instance metadata credentials renewal failed');
      creds = extended(past);
    }
    past = creds;
    return creds;
  };
}

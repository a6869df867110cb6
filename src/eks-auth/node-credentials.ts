// The node's own AWS credentials, used to sign EKS Auth calls. Default: the SDK's node provider chain (env,
// shared file, IMDSv2, container), its env link done here without the SDK, and IMDS too when nothing before it in
// the chain could answer (imds-credentials.ts). With rotateCredentials the shared credentials file is re-read at
// least every rotationIntervalMs (hybrid nodes rewrite it). Loads are single-flight and memoised; a failed
// re-read keeps the last good credentials while they are still valid. A due reload of still-valid credentials
// runs in the background (rotation's re-read excepted); a failed load that left none is not repeated for
// retryAfterFailureMs, its error answering meanwhile.

import { existsSync } from 'node:fs';
import { homedir } from 'node:os';
import type { AwsCredentialIdentity } from '@smithy/types';
import { type Clock, systemClock } from '../clock.ts';
import type { Logger } from '../observability/logger.ts';
import { EksAuthError } from './errors.ts';
import {
  chainReachesImds,
  createImdsCredentials,
  homeDirectory,
  type ImdsFetch,
} from './imds-credentials.ts';
import { sanitizeUpstreamMessage } from './sanitize-message.ts';
import { readStaticSharedFile } from './shared-file-credentials.ts';

export type CredentialsProvider = () => Promise<AwsCredentialIdentity>;

export interface NodeCredentialsOptions {
  /** Injected provider (tests, or a caller with its own chain). Default depends on rotateCredentials. */
  readonly credentials?: CredentialsProvider;
  readonly rotateCredentials?: boolean;
  /** Shared credentials file for rotateCredentials; default AWS_SHARED_CREDENTIALS_FILE or ~/.aws/credentials. */
  readonly credentialsFile?: string | undefined;
  readonly rotationIntervalMs?: number;
  /** Refresh temporary credentials this long before they expire. */
  readonly refreshBeforeExpiryMs?: number;
  /**
   * After a failed load, wait this long before trying again: a re-read that kept the old credentials, and a
   * load that left none (callers meanwhile get its error at once, so a failing source, IMDS say, is not asked
   * again on every EKS Auth call).
   */
  readonly retryAfterFailureMs?: number;
  readonly clock?: Clock;
  readonly logger?: Logger;
  /** Where the chain's first link looks for static credentials; default process.env. */
  readonly env?: Environment;
  /** The rest of the default chain; default @aws-sdk/credential-provider-node's (tests inject one). */
  readonly loadChain?: () => Promise<CredentialsProvider>;
  /** Whether a file exists (the chain's shared files); default node:fs existsSync. */
  readonly fileExists?: (path: string) => boolean;
  /** The fetch the IMDS link uses (tests); default Bun's. */
  readonly imdsFetch?: ImdsFetch;
}

export const NODE_CREDENTIALS_DEFAULTS = {
  rotationIntervalMs: 60_000,
  refreshBeforeExpiryMs: 5 * 60_000,
  retryAfterFailureMs: 5_000,
} as const;

type Environment = Readonly<Record<string, string | undefined>>;

/** The SDK's default chain, imported at the first load that needs it (see chooseProvider). */
async function loadDefaultChain(): Promise<CredentialsProvider> {
  return (await import('@aws-sdk/credential-provider-node')).defaultProvider();
}

/**
 * The default chain's first link, as @aws-sdk/credential-provider-node runs it: static credentials from the
 * environment (fromEnv's variables and fields), skipped when AWS_PROFILE is set. Undefined when it would not
 * answer, so the chain goes on.
 */
export function environmentCredentials(env: Environment): AwsCredentialIdentity | undefined {
  const accessKeyId = env['AWS_ACCESS_KEY_ID'];
  const secretAccessKey = env['AWS_SECRET_ACCESS_KEY'];
  if (env['AWS_PROFILE'] || !accessKeyId || !secretAccessKey) return undefined;
  const sessionToken = env['AWS_SESSION_TOKEN'];
  const expiry = env['AWS_CREDENTIAL_EXPIRATION'];
  const credentialScope = env['AWS_CREDENTIAL_SCOPE'];
  const accountId = env['AWS_ACCOUNT_ID'];
  return {
    accessKeyId,
    secretAccessKey,
    ...(sessionToken ? { sessionToken } : {}),
    ...(expiry ? { expiration: new Date(expiry) } : {}),
    ...(credentialScope ? { credentialScope } : {}),
    ...(accountId ? { accountId } : {}),
  };
}

// The SDK's providers are imported at the first load that needs them, not at start: with their @smithy/core
// parts and the node: modules those pull in they cost an agent a few MB (bench/footprint.bench.ts). A node
// whose credentials are in the environment never loads them: the chain's first link is done here. The chain
// itself imports its rarely used providers (SSO, process, web identity, IMDS) only when it reaches them.
function chooseProvider(
  rotate: boolean,
  filepath: string | undefined,
  env: Environment,
  loadChain: () => Promise<CredentialsProvider>,
  options: NodeCredentialsOptions,
  clock: Clock,
): CredentialsProvider {
  if (rotate) {
    let said: string | undefined;
    const say = (source: string, msg: string) => {
      if (said !== source) options.logger?.info({ source }, msg);
      said = source;
    };
    return async () => {
      // A profile of static keys (what hybrid nodes' credential helpers write) is read here; anything else
      // the SDK's ini provider reads (shared-file-credentials.ts).
      const fast = await readStaticSharedFile({
        env,
        filepath,
        home: homeDirectory(env, homedir),
        fileExists: options.fileExists ?? existsSync,
      });
      if (fast !== undefined) {
        say('shared-file', 'node credentials from the shared credentials file');
        return fast;
      }
      say('sdk-ini', 'node credentials from the shared files through the AWS SDK');
      const { fromIni } = await import('@aws-sdk/credential-provider-ini');
      // ignoreCache: the SDK caches parsed ini files per process; rotation needs the file's current content.
      return fromIni({ ignoreCache: true, ...(filepath === undefined ? {} : { filepath }) })();
    };
  }
  let chain: Promise<CredentialsProvider> | undefined;
  let imds: CredentialsProvider | undefined;
  return async () => {
    const fromEnvironment = environmentCredentials(env);
    if (fromEnvironment !== undefined) return fromEnvironment;
    // The common EC2 node: the chain would only reach IMDS, so IMDS is asked directly (imds-credentials.ts).
    // Decided at the first load and kept either way. A shared file that appears later is not seen, as the
    // SDK chain does not see it: its ini loader keeps each file's first read (a missing file's too) per process.
    if (
      imds !== undefined ||
      (chain === undefined &&
        chainReachesImds({ env, fileExists: options.fileExists ?? existsSync, homedir }))
    ) {
      if (imds === undefined) {
        options.logger?.info({ source: 'imds' }, 'node credentials from the instance metadata service');
        imds = createImdsCredentials({ env, clock, logger: options.logger, fetch: options.imdsFetch });
      }
      return imds();
    }
    // One chain for the process: it memoises what it found (and refreshes expiring credentials itself).
    if (chain === undefined)
      options.logger?.info({ source: 'sdk-chain' }, 'node credentials from the AWS SDK default chain');
    chain ??= loadChain();
    return (await chain)();
  };
}

/**
 * Providers made here. The agent builds one for the EKS Auth client and readiness together (credential-path.ts)
 * and hands it to createEksAuthClient, which would otherwise wrap it in a second memo with its own schedule.
 */
const nodeCredentialProviders = new WeakSet<CredentialsProvider>();

export function createNodeCredentials(options: NodeCredentialsOptions = {}): CredentialsProvider {
  // Already memoised, scheduled and single-flight: a second layer would only delay what the first one loads.
  if (options.credentials !== undefined && nodeCredentialProviders.has(options.credentials))
    return options.credentials;
  const rotate = options.rotateCredentials ?? false;
  const clock = options.clock ?? systemClock;
  const provider =
    options.credentials ??
    chooseProvider(
      rotate,
      options.credentialsFile,
      options.env ?? process.env,
      options.loadChain ?? loadDefaultChain,
      options,
      clock,
    );
  const rotationIntervalMs = options.rotationIntervalMs ?? NODE_CREDENTIALS_DEFAULTS.rotationIntervalMs;
  const refreshBeforeExpiryMs =
    options.refreshBeforeExpiryMs ?? NODE_CREDENTIALS_DEFAULTS.refreshBeforeExpiryMs;
  const retryAfterFailureMs = options.retryAfterFailureMs ?? NODE_CREDENTIALS_DEFAULTS.retryAfterFailureMs;

  let current: AwsCredentialIdentity | undefined;
  let nextLoadAtMs = 0;
  let loading: Promise<AwsCredentialIdentity> | undefined;
  /** The last load's error while there are no usable credentials, and until when it is the answer. */
  let failure: { readonly error: EksAuthError; readonly untilMs: number } | undefined;

  const stillUsable = (creds: AwsCredentialIdentity, now: number) =>
    creds.expiration === undefined || creds.expiration.getTime() > now;

  const scheduleNext = (creds: AwsCredentialIdentity, now: number) => {
    let next = rotate ? now + rotationIntervalMs : Number.POSITIVE_INFINITY;
    // Credentials that are already due (IMDS's static-stability extension is 5-10 minutes) are not reloaded
    // on every call: a provider that keeps answering late ones would be asked once per EKS Auth call.
    if (creds.expiration !== undefined)
      next = Math.min(
        next,
        Math.max(creds.expiration.getTime() - refreshBeforeExpiryMs, now + retryAfterFailureMs),
      );
    nextLoadAtMs = next;
  };

  const load = async (): Promise<AwsCredentialIdentity> => {
    try {
      const creds = await provider();
      current = creds;
      failure = undefined;
      scheduleNext(creds, clock.now());
      return creds;
    } catch (err) {
      const now = clock.now();
      const why = sanitizeUpstreamMessage(err instanceof Error ? err.message : String(err));
      if (current !== undefined && stillUsable(current, now)) {
        nextLoadAtMs = now + retryAfterFailureMs;
        options.logger?.warn({ reason: why }, 'node credentials reload failed; keeping the previous ones');
        return current;
      }
      const error = new EksAuthError(
        'NodeCredentialsUnavailable',
        `node AWS credentials unavailable: ${why}`,
        {
          kind: 'credentials',
          retryable: true,
          cause: err,
        },
      );
      failure = { error, untilMs: now + retryAfterFailureMs };
      throw error;
    }
  };

  const startLoad = () => {
    // Cleared after settling (not inside load) so a provider that throws synchronously cannot leave a
    // settled promise behind as "in flight".
    loading ??= load().finally(() => {
      loading = undefined;
    });
    return loading;
  };

  const nodeCredentials: CredentialsProvider = () => {
    const now = clock.now();
    if (current !== undefined && stillUsable(current, now)) {
      if (now < nextLoadAtMs) return Promise.resolve(current);
      // Due, but still valid: without rotation the reload runs in the background and callers keep the
      // current credentials meanwhile (the SDK chain's passive refresh), so a slow or unreachable source (IMDS:
      // up to 1 s per request) never holds EKS Auth calls. A rotation re-read (a local file) is waited for:
      // the call after the interval uses the file's content.
      if (rotate) return startLoad();
      startLoad().catch(() => {});
      return Promise.resolve(current);
    }
    if (failure !== undefined && now < failure.untilMs) return Promise.reject(failure.error);
    return startLoad();
  };
  nodeCredentialProviders.add(nodeCredentials);
  return nodeCredentials;
}

// The AWS side of the Config, read from the environment as the SDKs read it: the region SigV4 signs for, and
// the EKS Auth endpoint (--endpoint beats AWS_ENDPOINT_URL_EKS_AUTH; AWS_USE_FIPS_ENDPOINT excludes both).
import { showValue, UsageError } from '../cli/usage-error.ts';
import { toHttpUrl } from './flag-values.ts';

const REGION = /^[a-z0-9]+(-[a-z0-9]+)*$/;

/** The region SigV4 signs for: AWS_REGION, then AWS_DEFAULT_REGION (an empty variable counts as unset). */
export function readRegion(env: Record<string, string | undefined>, allowMissing: boolean): string {
  const [name, value] = env['AWS_REGION']
    ? ['AWS_REGION', env['AWS_REGION']]
    : ['AWS_DEFAULT_REGION', env['AWS_DEFAULT_REGION'] ?? ''];
  if (value === '' && allowMissing) return '';
  if (value === '') throw new UsageError('missing region: set AWS_REGION or AWS_DEFAULT_REGION');
  if (value.length > 64 || !REGION.test(value)) {
    throw new UsageError(
      `invalid value ${showValue(value)} for ${name}: expected a region such as us-east-1`,
    );
  }
  return value;
}

/** Where the EKS Auth call goes, in Config (server-config.ts). */
export interface EksAuthTarget {
  /** --endpoint or AWS_ENDPOINT_URL_EKS_AUTH; undefined: resolved from the region's partition (partitions.ts). */
  readonly endpoint: string | undefined;
  /** AWS_USE_FIPS_ENDPOINT=true: the partition's FIPS endpoint (eks-auth-fips.REGION...). */
  readonly useFipsEndpoint: boolean;
}

/** The endpoint given by --endpoint (endpointFlag) or the environment, and the FIPS choice. */
export function readEksAuthTarget(
  endpointFlag: string | undefined,
  env: Record<string, string | undefined>,
): EksAuthTarget {
  // A flag beats the environment variable, like the SDKs' own endpoint resolution.
  const endpointEnv = env['AWS_ENDPOINT_URL_EKS_AUTH'] || undefined;
  const endpoint =
    endpointFlag !== undefined
      ? toHttpUrl('--endpoint', endpointFlag)
      : endpointEnv !== undefined
        ? toHttpUrl('AWS_ENDPOINT_URL_EKS_AUTH', endpointEnv)
        : undefined;
  const useFipsEndpoint = readSdkBoolean(env, 'AWS_USE_FIPS_ENDPOINT');
  // The EKS Auth endpoint rules refuse this pair too ("FIPS and custom endpoint are not supported").
  if (useFipsEndpoint && endpoint !== undefined) {
    throw new UsageError(
      'AWS_USE_FIPS_ENDPOINT=true and a custom endpoint (--endpoint or AWS_ENDPOINT_URL_EKS_AUTH) cannot be combined: drop one',
    );
  }
  return { endpoint, useFipsEndpoint };
}

/** An SDK boolean setting: unset or empty is false; otherwise true or false in any case, as the SDKs accept. */
function readSdkBoolean(env: Record<string, string | undefined>, name: string): boolean {
  const value = env[name];
  if (value === undefined || value === '') return false;
  const word = value.toLowerCase();
  if (word === 'true' || word === 'false') return word === 'true';
  throw new UsageError(`invalid value ${showValue(value)} for ${name}: expected true or false`);
}

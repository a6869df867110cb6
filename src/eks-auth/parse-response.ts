// Validates a 200 answer of AssumeRoleForPodIdentity and turns it into the agent's result shape. A response
// missing anything the agent serves is refused as a whole, naming every missing or invalid member.
import { EksAuthError } from './errors.ts';
import type { AssumeRoleForPodIdentityResult } from './types.ts';

// arn:partition:sts::ACCOUNT:assumed-role/ROLE/SESSION; the account is 12 digits in every partition.
const ARN = /^arn:[a-z0-9-]+:[a-z0-9-]+:[a-z0-9-]*:(\d{12}):.+$/;

type Json = Record<string, unknown>;

function asObject(value: unknown): Json | undefined {
  return value !== null && typeof value === 'object' && !Array.isArray(value) ? (value as Json) : undefined;
}

/**
 * Expirations the agent can serve: from the epoch to the end of year 9999, so that the RFC 3339 text SDKs
 * read (JS v3 and Rust accept nothing else) always has a four-digit year. A year-33658 expiration would be
 * served as "+033658-...", which no SDK parses, and past 8.64e12 s Date itself throws.
 */
export const MAX_EXPIRATION_EPOCH_SECONDS = 253_402_300_799; // 9999-12-31T23:59:59Z
/** RFC 3339 date-time with an explicit offset: text without one would be read as local time. */
const RFC3339 = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{1,9})?(Z|[+-]\d{2}:\d{2})$/i;
const MAX_RFC3339_CHARS = 40;

/** Date.parse rolls 2026-02-30 over to March 2: the day must exist in its month. */
function isCalendarDate(text: string): boolean {
  const year = Number(text.slice(0, 4));
  const month = Number(text.slice(5, 7));
  const day = Number(text.slice(8, 10));
  return new Date(Date.UTC(year, month - 1, day)).getUTCDate() === day;
}

/**
 * REST-JSON sends timestamps as epoch seconds (maybe fractional); RFC 3339 text with an offset is accepted
 * defensively. The one place an upstream expiration is checked: anything else is undefined (malformed).
 */
export function parseExpiration(value: unknown): Date | undefined {
  let ms: number;
  if (typeof value === 'number') ms = value * 1000;
  else if (typeof value === 'string' && value.length <= MAX_RFC3339_CHARS && RFC3339.test(value)) {
    if (!isCalendarDate(value)) return undefined;
    ms = Date.parse(value);
  } else return undefined;
  if (!(Number.isFinite(ms) && ms > 0 && ms <= MAX_EXPIRATION_EPOCH_SECONDS * 1000)) return undefined;
  return new Date(ms);
}

function malformed(message: string, requestId: string | undefined, cause?: unknown): EksAuthError {
  return new EksAuthError('UpstreamMalformedResponse', message, {
    kind: 'malformed',
    requestId,
    upstreamStatus: 200,
    cause,
  });
}

export function parseAssumeRoleResponse(
  bodyText: string,
  requestId: string | undefined,
): AssumeRoleForPodIdentityResult {
  let parsed: unknown;
  try {
    parsed = JSON.parse(bodyText);
  } catch (err) {
    throw malformed('EKS Auth response is not valid JSON', requestId, err);
  }
  const root = asObject(parsed);
  if (root === undefined) throw malformed('EKS Auth response is not a JSON object', requestId);

  const problems: string[] = [];
  const text = (parent: string, obj: Json | undefined, key: string): string => {
    const value = obj?.[key];
    if (typeof value === 'string' && value !== '') return value;
    problems.push(`${parent}.${key}`);
    return '';
  };
  const section = (key: string): Json | undefined => {
    const obj = asObject(root[key]);
    if (obj === undefined) problems.push(key);
    return obj;
  };

  const subject = section('subject');
  const namespace = subject && text('subject', subject, 'namespace');
  const serviceAccount = subject && text('subject', subject, 'serviceAccount');
  const audience = root['audience'];
  if (typeof audience !== 'string' || audience === '') problems.push('audience');
  const association = section('podIdentityAssociation');
  const associationArn = association && text('podIdentityAssociation', association, 'associationArn');
  const associationId = association && text('podIdentityAssociation', association, 'associationId');
  const user = section('assumedRoleUser');
  const arn = user && text('assumedRoleUser', user, 'arn');
  const assumeRoleId = user && text('assumedRoleUser', user, 'assumeRoleId');
  const accountId = arn ? ARN.exec(arn)?.[1] : undefined;
  if (arn && accountId === undefined)
    problems.push('assumedRoleUser.arn (not an ARN with a 12-digit account)');
  const creds = section('credentials');
  const accessKeyId = creds && text('credentials', creds, 'accessKeyId');
  const secretAccessKey = creds && text('credentials', creds, 'secretAccessKey');
  const sessionToken = creds && text('credentials', creds, 'sessionToken');
  const expiration = creds && parseExpiration(creds['expiration']);
  if (creds && expiration === undefined) problems.push('credentials.expiration');

  if (problems.length > 0) {
    throw malformed(`EKS Auth response is missing or has invalid: ${problems.join(', ')}`, requestId);
  }
  // Every value below was checked above; the casts only narrow what TypeScript cannot follow.
  return {
    credentials: {
      accessKeyId: accessKeyId as string,
      secretAccessKey: secretAccessKey as string,
      sessionToken: sessionToken as string,
      expiration: expiration as Date,
    },
    accountId: accountId as string,
    assumedRoleUser: { arn: arn as string, assumeRoleId: assumeRoleId as string },
    podIdentityAssociation: {
      associationArn: associationArn as string,
      associationId: associationId as string,
    },
    subject: { namespace: namespace as string, serviceAccount: serviceAccount as string },
    audience: audience as string,
    requestId,
  };
}

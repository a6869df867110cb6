// Validation of everything the emulator accepts from outside (admin API, programmatic API, config file):
// bad input becomes one clear InputError message, never a crash or a silently ignored field.
import { EKS_AUTH_CODES } from '../errors.ts';
import type { Association, EmulatorFaults, FailWithCode, TokenRequest } from './types.ts';

export class InputError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'InputError';
  }
}

export const FAIL_WITH_CODES: readonly FailWithCode[] = [
  ...EKS_AUTH_CODES,
  'UnrecognizedClientException',
  'InvalidSignatureException',
  'MalformedResponse',
  'HttpError',
];

export const MAX_ASSOCIATIONS = 1000;
const MAX_TTL_SECONDS = 366 * 86_400;
const MAX_LATENCY_MS = 120_000;
/** A 2 MiB message: beyond what any client reads (the agent reads 64 KiB of an answer). */
const MAX_FAIL_MESSAGE_CHARS = 2 * 1024 * 1024;
const MAX_TPS = 1_000_000;
const DNS_LABEL = /^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$/;
const DNS_SUBDOMAIN = /^(?=.{1,253}$)[a-z0-9]([-a-z0-9.]*[a-z0-9])?$/;
const ROLE_ARN = /^arn:aws[a-z-]*:iam::\d{12}:role\/(?:[\w+=,.@-]+\/)*[\w+=,.@-]{1,64}$/;

export function asObject(value: unknown, what: string): Record<string, unknown> {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new InputError(`${what} must be a JSON object`);
  }
  return value as Record<string, unknown>;
}

export function rejectUnknownFields(
  o: Record<string, unknown>,
  allowed: readonly string[],
  what: string,
): void {
  for (const key of Object.keys(o)) {
    if (!allowed.includes(key))
      throw new InputError(`${what}: unknown field '${key}' (allowed: ${allowed.join(', ')})`);
  }
}

function matching(value: unknown, pattern: RegExp, name: string, rule: string): string {
  if (typeof value !== 'string' || !pattern.test(value)) throw new InputError(`${name} must be ${rule}`);
  return value;
}

export function integerIn(value: unknown, min: number, max: number, name: string): number {
  if (typeof value !== 'number' || !Number.isInteger(value) || value < min || value > max) {
    throw new InputError(`${name} must be an integer from ${min} to ${max}`);
  }
  return value;
}

function optional<T>(value: unknown, parse: (v: unknown) => T): T | undefined {
  return value === undefined ? undefined : parse(value);
}

function shortString(value: unknown, name: string): string {
  if (typeof value !== 'string' || value.length === 0 || value.length > 256) {
    throw new InputError(`${name} must be a string of 1 to 256 characters`);
  }
  return value;
}

export function parseTokenRequest(input: unknown): TokenRequest {
  const o = asObject(input, 'token request');
  rejectUnknownFields(
    o,
    [
      'namespace',
      'serviceAccount',
      'podName',
      'podUid',
      'ttlSeconds',
      'audience',
      'notBeforeOffsetSeconds',
      'issuedAtOffsetSeconds',
    ],
    'token request',
  );
  const audience = optional(o.audience, (v) => {
    if (!Array.isArray(v)) return shortString(v, 'audience');
    if (v.length === 0 || v.length > 16) throw new InputError('audience list must hold 1 to 16 strings');
    return v.map((a) => shortString(a, 'audience'));
  });
  return {
    namespace: matching(o.namespace, DNS_LABEL, 'namespace', 'a DNS label (lowercase, 1-63 characters)'),
    serviceAccount: matching(o.serviceAccount, DNS_SUBDOMAIN, 'serviceAccount', 'a DNS subdomain name'),
    podName: optional(o.podName, (v) => matching(v, DNS_SUBDOMAIN, 'podName', 'a DNS subdomain name')),
    podUid: optional(o.podUid, (v) => shortString(v, 'podUid')),
    ttlSeconds: optional(o.ttlSeconds, (v) => integerIn(v, 1, MAX_TTL_SECONDS, 'ttlSeconds')),
    audience,
    notBeforeOffsetSeconds: optional(o.notBeforeOffsetSeconds, (v) =>
      integerIn(v, -MAX_TTL_SECONDS, MAX_TTL_SECONDS, 'notBeforeOffsetSeconds'),
    ),
    issuedAtOffsetSeconds: optional(o.issuedAtOffsetSeconds, (v) =>
      integerIn(v, -MAX_TTL_SECONDS, MAX_TTL_SECONDS, 'issuedAtOffsetSeconds'),
    ),
  };
}

export function parseFaults(input: unknown): EmulatorFaults {
  const o = asObject(input, 'faults');
  rejectUnknownFields(
    o,
    ['latencyMs', 'failWith', 'failRate', 'failMessageChars', 'failEmptyBody', 'maxTps', 'burst', 'outage'],
    'faults',
  );
  const failWith = optional(o.failWith, (v) => {
    if (typeof v !== 'string' || !(FAIL_WITH_CODES as readonly string[]).includes(v)) {
      throw new InputError(`failWith must be one of ${FAIL_WITH_CODES.join(', ')}`);
    }
    return v;
  });
  const failRate = optional(o.failRate, (v) => {
    if (typeof v !== 'number' || !(v >= 0 && v <= 1))
      throw new InputError('failRate must be a number from 0 to 1');
    return v;
  });
  if (failRate !== undefined && failWith === undefined) throw new InputError('failRate needs failWith');
  const failMessageChars = optional(o.failMessageChars, (v) =>
    integerIn(v, 0, MAX_FAIL_MESSAGE_CHARS, 'failMessageChars'),
  );
  if (failMessageChars !== undefined && failWith === undefined)
    throw new InputError('failMessageChars needs failWith');
  const failEmptyBody = optional(o.failEmptyBody, (v) => {
    if (typeof v !== 'boolean') throw new InputError('failEmptyBody must be true or false');
    return v;
  });
  if (failEmptyBody !== undefined && failWith === undefined)
    throw new InputError('failEmptyBody needs failWith');
  if (failEmptyBody === true && failMessageChars !== undefined)
    throw new InputError('failEmptyBody and failMessageChars exclude each other');
  const outage = optional(o.outage, (v) => {
    if (typeof v !== 'boolean' && v !== 'unavailable' && v !== 'hang') {
      throw new InputError("outage must be true, false, 'unavailable' or 'hang'");
    }
    return v;
  });
  const maxTps = optional(o.maxTps, (v) => integerIn(v, 0, MAX_TPS, 'maxTps'));
  const burst = optional(o.burst, (v) => integerIn(v, 1, MAX_TPS, 'burst'));
  if (burst !== undefined && maxTps === undefined) throw new InputError('burst needs maxTps');
  return {
    latencyMs: optional(o.latencyMs, (v) => integerIn(v, 0, MAX_LATENCY_MS, 'latencyMs')),
    failWith,
    failRate,
    failMessageChars,
    failEmptyBody,
    maxTps,
    burst,
    outage,
  };
}

export function parseAssociations(input: unknown): Association[] {
  if (!Array.isArray(input)) throw new InputError('associations must be a JSON array');
  if (input.length > MAX_ASSOCIATIONS) throw new InputError(`at most ${MAX_ASSOCIATIONS} associations`);
  const seen = new Set<string>();
  return input.map((item, i) => {
    const what = `associations[${i}]`;
    const o = asObject(item, what);
    rejectUnknownFields(o, ['namespace', 'serviceAccount', 'roleArn'], what);
    const namespace = matching(o.namespace, DNS_LABEL, `${what}.namespace`, 'a DNS label');
    const serviceAccount = matching(
      o.serviceAccount,
      DNS_SUBDOMAIN,
      `${what}.serviceAccount`,
      'a DNS subdomain name',
    );
    const roleArn = matching(
      o.roleArn,
      ROLE_ARN,
      `${what}.roleArn`,
      'an IAM role ARN (arn:aws:iam::ACCOUNT:role/NAME)',
    );
    const key = `${namespace}/${serviceAccount}`;
    if (seen.has(key)) throw new InputError(`${what}: duplicate association for ${key}`);
    seen.add(key);
    return { namespace, serviceAccount, roleArn };
  });
}

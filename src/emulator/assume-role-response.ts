// The 200 body of AssumeRoleForPodIdentity, with fresh random credentials on every call.
import { createHash, randomBytes, randomUUID } from 'node:crypto';
import type { ResolvedAssociation } from './associations.ts';
import { POD_IDENTITY_AUDIENCE } from './token-issuer.ts';
import type { VerifiedToken } from './token-verifier.ts';

const KEY_ID_ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567';
const MAX_SESSION_NAME_LENGTH = 64;

function keyIdChars(bytes: Uint8Array, length: number): string {
  let out = '';
  for (let i = 0; i < length; i++) out += KEY_ID_ALPHABET[bytes[i]! % KEY_ID_ALPHABET.length];
  return out;
}

export interface AssumeRoleContext {
  readonly clusterName: string;
  /** From the request's SigV4 scope, as the real service answers for its own region. */
  readonly region: string;
  readonly nowMs: number;
  readonly credentialTtlSeconds: number;
}

export interface AssumeRoleOutput {
  subject: { namespace: string; serviceAccount: string };
  audience: string;
  podIdentityAssociation: { associationArn: string; associationId: string };
  assumedRoleUser: { arn: string; assumeRoleId: string };
  credentials: { sessionToken: string; secretAccessKey: string; accessKeyId: string; expiration: number };
}

export function buildAssumeRoleOutput(
  identity: VerifiedToken,
  association: ResolvedAssociation,
  ctx: AssumeRoleContext,
): AssumeRoleOutput {
  const sessionName = `eks-${ctx.clusterName}-${identity.podName}-${randomUUID()}`.slice(
    0,
    MAX_SESSION_NAME_LENGTH,
  );
  // A role's unique id is stable, so derive it from the ARN.
  const roleId = `AROA${keyIdChars(createHash('sha256').update(association.roleArn).digest(), 17)}`;
  const partition = association.roleArn.split(':')[1] ?? 'aws';
  return {
    subject: { namespace: identity.namespace, serviceAccount: identity.serviceAccount },
    audience: POD_IDENTITY_AUDIENCE,
    podIdentityAssociation: {
      associationArn: `arn:${partition}:eks:${ctx.region}:${association.accountId}:podidentityassociation/${ctx.clusterName}/${association.associationId}`,
      associationId: association.associationId,
    },
    assumedRoleUser: {
      arn: `arn:${partition}:sts::${association.accountId}:assumed-role/${association.roleName}/${sessionName}`,
      assumeRoleId: `${roleId}:${sessionName}`,
    },
    credentials: {
      sessionToken: `IQoJb3JpZ2luX2Vj${randomBytes(600).toString('base64')}`,
      secretAccessKey: randomBytes(30).toString('base64'),
      accessKeyId: `ASIA${keyIdChars(randomBytes(16), 16)}`,
      expiration: Math.floor(ctx.nowMs / 1000) + ctx.credentialTtlSeconds,
    },
  };
}

/** What `failWith: 'MalformedResponse'` sends: a 200 missing the required credentials and assumedRoleUser. */
export function buildMalformedOutput(): Record<string, unknown> {
  return { subject: {}, audience: POD_IDENTITY_AUDIENCE };
}

// Which IAM role a service account assumes: an explicit list, or by default one role per service account.
import { createHash } from 'node:crypto';
import type { Association } from './types.ts';

export const DEFAULT_ACCOUNT_ID = '111122223333';
const MAX_ROLE_NAME_LENGTH = 64;

export interface ResolvedAssociation extends Association {
  /** Stable for one (namespace, service account, role), like a real association's id. */
  readonly associationId: string;
  readonly accountId: string;
  readonly roleName: string;
}

export interface AssociationStore {
  /** null restores the default mapping. Input must already be validated (parseAssociations). */
  set(list: readonly Association[] | null): void;
  lookup(namespace: string, serviceAccount: string): ResolvedAssociation | undefined;
}

export function defaultRoleArn(namespace: string, serviceAccount: string): string {
  const roleName = `eks-pod-identity-${namespace}-${serviceAccount}`.slice(0, MAX_ROLE_NAME_LENGTH);
  return `arn:aws:iam::${DEFAULT_ACCOUNT_ID}:role/${roleName}`;
}

function resolve(a: Association): ResolvedAssociation {
  const accountId = a.roleArn.split(':')[4] ?? DEFAULT_ACCOUNT_ID;
  // Role ARNs may carry a path (role/path/name); the session ARN uses only the name.
  const roleName = a.roleArn.slice(a.roleArn.lastIndexOf('/') + 1);
  const digest = createHash('sha256').update(`${a.namespace}\0${a.serviceAccount}\0${a.roleArn}`).digest();
  let suffix = '';
  for (let i = 0; i < 17; i++) suffix += 'abcdefghijklmnopqrstuvwxyz0123456789'[digest[i]! % 36];
  return { ...a, associationId: `a-${suffix}`, accountId, roleName };
}

export function createAssociationStore(): AssociationStore {
  let explicit: Map<string, ResolvedAssociation> | null = null;
  return {
    set(list) {
      explicit =
        list === null ? null : new Map(list.map((a) => [`${a.namespace}/${a.serviceAccount}`, resolve(a)]));
    },
    lookup(namespace, serviceAccount) {
      if (explicit) return explicit.get(`${namespace}/${serviceAccount}`);
      return resolve({ namespace, serviceAccount, roleArn: defaultRoleArn(namespace, serviceAccount) });
    },
  };
}

// A fake EKS Auth client for unit tests of the credential layer: counts calls, answers from a script.
import type { Clock } from '../../src/clock.ts';
import type {
  AssumeRoleForPodIdentityResult,
  AssumeRoleOptions,
  EksAuthClient,
} from '../../src/eks-auth/types.ts';

export interface FakeCall {
  token: string;
  options: AssumeRoleOptions | undefined;
}

export interface FakeEksAuth extends EksAuthClient {
  readonly calls: FakeCall[];
  /** Next calls answer with this (an error to throw, or a function deciding per call). */
  behaviour: (call: FakeCall, n: number) => Promise<AssumeRoleForPodIdentityResult>;
  lifetimeMs: number;
  success(call: FakeCall, n: number): AssumeRoleForPodIdentityResult;
}

/** The subject EKS Auth answers with: the token's own kubernetes.io claims (ns/sa for non-JWT test tokens). */
function subjectOf(token: string): { namespace: string; serviceAccount: string } {
  try {
    const payload = JSON.parse(Buffer.from(token.split('.')[1] ?? '', 'base64url').toString('utf8'));
    const k8s = payload['kubernetes.io'];
    const namespace = k8s?.namespace;
    const serviceAccount = k8s?.serviceaccount?.name;
    if (typeof namespace === 'string' && typeof serviceAccount === 'string')
      return { namespace, serviceAccount };
  } catch {}
  return { namespace: 'ns', serviceAccount: 'sa' };
}

export function createFakeEksAuth(clock: Clock, lifetimeMs = 6 * 3600_000): FakeEksAuth {
  const fake: FakeEksAuth = {
    calls: [],
    lifetimeMs,
    success(call, n) {
      return {
        credentials: {
          accessKeyId: `ASIAFAKE${String(n).padStart(12, '0')}`,
          secretAccessKey: `secret-${n}`,
          sessionToken: `session-${n}`,
          expiration: new Date(clock.now() + fake.lifetimeMs),
        },
        accountId: '111122223333',
        assumedRoleUser: { arn: 'arn:aws:sts::111122223333:assumed-role/r/s', assumeRoleId: 'AROA:s' },
        podIdentityAssociation: {
          associationArn: 'arn:aws:eks:us-west-2:111122223333:a',
          associationId: 'a-1',
        },
        subject: subjectOf(call.token),
        audience: 'pods.eks.amazonaws.com',
        requestId: `req-${n}`,
      };
    },
    behaviour: async (call, n) => fake.success(call, n),
    async assumeRoleForPodIdentity(token, options) {
      const call = { token, options };
      fake.calls.push(call);
      return fake.behaviour(call, fake.calls.length);
    },
    close() {},
  };
  return fake;
}

/** A promise with its resolve/reject exposed. */
export function deferred<T>() {
  let resolve!: (v: T) => void;
  let reject!: (e: unknown) => void;
  const promise = new Promise<T>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  return { promise, resolve, reject };
}

/** Holds every call of `fake` until the returned gate is resolved, then answers as it did before. */
export function holdCalls(fake: FakeEksAuth) {
  const gate = deferred<void>();
  const normal = fake.behaviour;
  fake.behaviour = async (call, n) => {
    await gate.promise;
    return normal(call, n);
  };
  return gate;
}

// Unsigned JWT-shaped tokens for tests that only need the claim checks (the signature is not looked at).

export interface TestClaims {
  expSeconds: number;
  namespace?: string;
  serviceAccount?: string;
  podName?: string;
  podUid?: string;
  [extra: string]: unknown;
}

const b64 = (v: unknown) => Buffer.from(JSON.stringify(v)).toString('base64url');

let counter = 0;

export function unsignedToken(claims: TestClaims): string {
  const {
    expSeconds,
    namespace = 'default',
    serviceAccount = 'app',
    podName = 'pod-1',
    podUid = 'uid-1',
    ...extra
  } = claims;
  counter += 1;
  const payload = {
    iss: 'https://issuer.example',
    sub: `system:serviceaccount:${namespace}:${serviceAccount}`,
    aud: ['pods.eks.amazonaws.com'],
    exp: expSeconds,
    iat: expSeconds - 86400,
    nbf: expSeconds - 86400,
    jti: `jti-${counter}`,
    'kubernetes.io': {
      namespace,
      pod: { name: podName, uid: podUid },
      serviceaccount: { name: serviceAccount, uid: 'sa-uid' },
    },
    ...extra,
  };
  return `${b64({ alg: 'RS256', kid: 'k1' })}.${b64(payload)}.${Buffer.from(`sig-${counter}`).toString('base64url')}`;
}

/** The pod identity an unsigned test token's claims name, as a verifier that trusts them would return it. */
export function identityFromClaims(token: string) {
  const payload = JSON.parse(Buffer.from(token.split('.')[1]!, 'base64url').toString());
  const k = payload['kubernetes.io'];
  return {
    namespace: k.namespace as string,
    serviceAccount: k.serviceaccount.name as string,
    podName: k.pod.name as string,
    podUid: k.pod.uid as string,
    exp: payload.exp as number,
  };
}

// Test helper: a real token issuer on loopback (OIDC discovery + JWKS over Bun.serve) that mints tokens.
import { type CryptoKey, exportJWK, exportSPKI, generateKeyPair, type JWK, SignJWT } from 'jose';

export interface IssuerKey {
  readonly kid: string;
  readonly alg: string;
  readonly privateKey: CryptoKey;
  readonly publicKey: CryptoKey;
  readonly publicJwk: JWK;
}

export interface TokenOptions {
  kid?: string;
  /** Sign with this key (default: the first published key). */
  key?: IssuerKey;
  /** Claims merged over the defaults (undefined values delete a claim). */
  claims?: Record<string, unknown>;
  nowSeconds: number;
}

export async function createIssuerKey(kid: string, alg = 'RS256'): Promise<IssuerKey> {
  const { privateKey, publicKey } = await generateKeyPair(alg, { extractable: true });
  const publicJwk = { ...(await exportJWK(publicKey)), kid, alg, use: 'sig' };
  return { kid, alg, privateKey, publicKey, publicJwk };
}

export function podClaims(nowSeconds: number, ns = 'team-a', sa = 'app'): Record<string, unknown> {
  return {
    sub: `system:serviceaccount:${ns}:${sa}`,
    aud: ['pods.eks.amazonaws.com'],
    iat: nowSeconds - 5,
    nbf: nowSeconds - 5,
    exp: nowSeconds + 3600,
    'kubernetes.io': {
      namespace: ns,
      serviceaccount: { name: sa, uid: 'sa-uid-1' },
      pod: { name: 'app-7d4f', uid: 'pod-uid-1' },
    },
  };
}

export async function startLocalIssuer(keys: IssuerKey[]) {
  const stats = { discovery: 0, jwks: 0 };
  let published = [...keys];
  let down = false;
  const server = Bun.serve({
    port: 0,
    hostname: '127.0.0.1',
    fetch(req: Request): Response {
      const path = new URL(req.url).pathname;
      if (path === '/.well-known/openid-configuration') {
        stats.discovery++;
        if (down) return new Response('down', { status: 503 });
        return Response.json({ issuer: url, jwks_uri: `${url}/openid/v1/jwks` });
      }
      if (path === '/openid/v1/jwks') {
        stats.jwks++;
        if (down) return new Response('down', { status: 503 });
        return Response.json({ keys: published.map((k) => k.publicJwk) });
      }
      return new Response('not found', { status: 404 });
    },
  });
  const url: string = `http://127.0.0.1:${server.port}`;

  return {
    url,
    stats,
    jwksUrl: `${url}/openid/v1/jwks`,
    setDown(value: boolean) {
      down = value;
    },
    publish(next: IssuerKey[]) {
      published = [...next];
    },
    async sign(options: TokenOptions): Promise<string> {
      const key = options.key ?? keys[0]!;
      const claims: Record<string, unknown> = {
        iss: url,
        ...podClaims(options.nowSeconds),
        ...options.claims,
      };
      for (const [name, value] of Object.entries(claims)) if (value === undefined) delete claims[name];
      return new SignJWT(claims as never)
        .setProtectedHeader({ alg: key.alg, kid: options.kid ?? key.kid, typ: 'JWT' })
        .sign(key.privateKey);
    },
    stop: () => server.stop(true),
  };
}

export type LocalIssuer = Awaited<ReturnType<typeof startLocalIssuer>>;

/** The PEM text of a key's public half: what an HS256 key-confusion attacker would use as the secret. */
export function publicPem(key: IssuerKey): Promise<string> {
  return exportSPKI(key.publicKey);
}

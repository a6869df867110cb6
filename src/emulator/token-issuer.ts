// The emulator's service-account token issuer: an RSA key made at start (rotatable, as a cluster rotates its
// service-account signing key), tokens shaped like projected Kubernetes service-account tokens, and the OIDC
// discovery documents that publish the keys.
import { createHash, generateKeyPair, type KeyObject, randomUUID, sign } from 'node:crypto';
import type { Clock } from '../clock.ts';

/** What the admin API's POST /_emulator/tokens and issueToken() take (the token's claims). */
export interface TokenRequest {
  namespace: string;
  serviceAccount: string;
  /** Default `<serviceAccount>-<5 random chars>`. */
  podName?: string;
  /** Default a random UUID. */
  podUid?: string;
  /** exp = iat + ttlSeconds; default 86400. */
  ttlSeconds?: number;
  /** Default 'pods.eks.amazonaws.com'. */
  audience?: string | string[];
  /** nbf = now + notBeforeOffsetSeconds; default: nbf = iat. */
  notBeforeOffsetSeconds?: number;
  /** iat = now + issuedAtOffsetSeconds; default 0. A negative value with a short ttl makes an expired token. */
  issuedAtOffsetSeconds?: number;
}

export const POD_IDENTITY_AUDIENCE = 'pods.eks.amazonaws.com';
export const JWKS_PATH = '/openid/v1/jwks';
export const DEFAULT_TOKEN_TTL_SECONDS = 86_400;

export interface TokenIssuerOptions {
  /** The `iss` claim and the discovery document's issuer: the emulator's base URL. */
  issuer: string;
  clock: Clock;
}

/** Keys published after a rotation: the newest signs, older ones still verify tokens already issued. */
export const MAX_PUBLISHED_KEYS = 3;

export interface TokenIssuer {
  readonly issuer: string;
  /** The current signing key's id and public key (they change on rotateKey). */
  readonly kid: string;
  readonly publicKey: KeyObject;
  /** A published key by kid, for verifiers. */
  publicKeyFor(kid: unknown): KeyObject | undefined;
  /** Signs with a new key from now on and publishes it next to the older ones; resolves its kid. */
  rotateKey(): Promise<string>;
  /** Signs a token for an already validated request (see parseTokenRequest). */
  issue(req: TokenRequest): string;
  jwks(): { keys: Record<string, string>[] };
  openidConfiguration(): Record<string, unknown>;
}

function base64url(data: string | Buffer): string {
  return Buffer.from(data).toString('base64url');
}

/** Deterministic UUID-shaped id, so one service account keeps one uid across tokens (as in a cluster). */
function stableUid(...parts: string[]): string {
  const h = createHash('sha256').update(parts.join('\0')).digest('hex');
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20, 32)}`;
}

function randomSuffix(length: number): string {
  const alphabet = 'bcdfghjklmnpqrstvwxz2456789';
  let out = '';
  for (let i = 0; i < length; i++) out += alphabet[Math.floor(Math.random() * alphabet.length)];
  return out;
}

function generateRsaKeyPair(): Promise<{ publicKey: KeyObject; privateKey: KeyObject }> {
  return new Promise((resolve, reject) => {
    generateKeyPair('rsa', { modulusLength: 2048 }, (err, publicKey, privateKey) =>
      err ? reject(err) : resolve({ publicKey, privateKey }),
    );
  });
}

interface SigningKey {
  readonly kid: string;
  readonly publicKey: KeyObject;
  readonly privateKey: KeyObject;
  readonly jwk: { n: string; e: string };
  readonly headerSegment: string;
}

async function newSigningKey(): Promise<SigningKey> {
  const { publicKey, privateKey } = await generateRsaKeyPair();
  const jwk = publicKey.export({ format: 'jwk' }) as { n: string; e: string };
  // RFC 7638 thumbprint: members in lexicographic order, no whitespace.
  const kid = base64url(
    createHash('sha256')
      .update(JSON.stringify({ e: jwk.e, kty: 'RSA', n: jwk.n }))
      .digest(),
  );
  const headerSegment = base64url(JSON.stringify({ alg: 'RS256', kid, typ: 'JWT' }));
  return { kid, publicKey, privateKey, jwk, headerSegment };
}

export async function createTokenIssuer(options: TokenIssuerOptions): Promise<TokenIssuer> {
  const { issuer, clock } = options;
  /** Newest first. */
  let keys: SigningKey[] = [await newSigningKey()];
  const nodeName = 'ip-10-0-0-1.emulator.internal';
  const nodeUid = randomUUID();

  return {
    issuer,
    get kid() {
      return keys[0]!.kid;
    },
    get publicKey() {
      return keys[0]!.publicKey;
    },
    publicKeyFor: (kid) => keys.find((k) => k.kid === kid)?.publicKey,
    async rotateKey() {
      const next = await newSigningKey();
      keys = [next, ...keys].slice(0, MAX_PUBLISHED_KEYS);
      return next.kid;
    },
    issue(req) {
      const { headerSegment, privateKey } = keys[0]!;
      const nowSeconds = Math.floor(clock.now() / 1000);
      const iat = nowSeconds + (req.issuedAtOffsetSeconds ?? 0);
      const nbf = req.notBeforeOffsetSeconds === undefined ? iat : nowSeconds + req.notBeforeOffsetSeconds;
      const podName = req.podName ?? `${req.serviceAccount}-${randomSuffix(5)}`;
      const claims = {
        aud: req.audience === undefined ? [POD_IDENTITY_AUDIENCE] : [req.audience].flat(),
        exp: iat + (req.ttlSeconds ?? DEFAULT_TOKEN_TTL_SECONDS),
        iat,
        iss: issuer,
        jti: randomUUID(),
        'kubernetes.io': {
          namespace: req.namespace,
          node: { name: nodeName, uid: nodeUid },
          pod: { name: podName, uid: req.podUid ?? randomUUID() },
          serviceaccount: { name: req.serviceAccount, uid: stableUid(req.namespace, req.serviceAccount) },
        },
        nbf,
        sub: `system:serviceaccount:${req.namespace}:${req.serviceAccount}`,
      };
      const signingInput = `${headerSegment}.${base64url(JSON.stringify(claims))}`;
      const signature = sign('sha256', Buffer.from(signingInput), privateKey);
      return `${signingInput}.${base64url(signature)}`;
    },
    jwks() {
      // The member order the API server's /openid/v1/jwks uses.
      return {
        keys: keys.map((k) => ({ use: 'sig', kty: 'RSA', kid: k.kid, alg: 'RS256', n: k.jwk.n, e: k.jwk.e })),
      };
    },
    openidConfiguration() {
      return {
        issuer,
        jwks_uri: issuer + JWKS_PATH,
        response_types_supported: ['id_token'],
        subject_types_supported: ['public'],
        id_token_signing_alg_values_supported: ['RS256'],
      };
    },
  };
}

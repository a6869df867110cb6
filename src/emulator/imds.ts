// A stand-in for the EC2 instance metadata service's credential routes, on loopback, for tests and benches of
// the node-credential link (src/eks-auth/imds-credentials.ts) and for the real SDK's IMDS provider against
// the same server. What it speaks, as EC2 documents IMDS: PUT /latest/api/token with
// X-aws-ec2-metadata-token-ttl-seconds (1-21600, else 400; a request carrying X-Forwarded-For is refused 403;
// any other method on that path 405), GETs with X-aws-ec2-metadata-token (an unknown or expired token 401),
// GETs without one (IMDSv1: 401 when the instance requires tokens), the role name at
// /latest/meta-data/iam/security-credentials/ and the role's credentials document below it.

export interface ImdsCredentials {
  readonly accessKeyId: string;
  readonly secretAccessKey: string;
  readonly sessionToken: string;
  readonly expiration: Date;
  readonly accountId?: string;
}

/** What the token route does: issue tokens, answer a fixed status (IMDSv2 unavailable), or never answer. */
export type TokenRouteMode = 'issue' | 400 | 403 | 404 | 405 | 'hang';

export interface ImdsStandInOptions {
  /** The role's credentials; a function is asked on every credentials request. */
  credentials: ImdsCredentials | (() => ImdsCredentials);
  role?: string;
  /** 'required': GETs without a valid token get 401 (HttpTokens=required). Default 'optional'. */
  httpTokens?: 'optional' | 'required';
  tokenRoute?: TokenRouteMode;
  /** Default 127.0.0.1; an IPv6 address is bracketed in `url`. */
  hostname?: string;
  /** Default 0 (any free port); 80 for the real addresses inside a test's network namespace. */
  port?: number;
}

export interface ImdsStandIn {
  readonly url: string;
  /** Requests seen, by kind. */
  readonly stats: {
    tokenPuts: number;
    getsWithToken: number;
    getsWithoutToken: number;
    credentialGets: number;
  };
  /** Changes behaviour while running (outages, token route, credentials). */
  set(options: Partial<ImdsStandInOptions> & { down?: boolean; body?: string }): void;
  stop(): Promise<void>;
}

const CREDENTIALS_PATH = '/latest/meta-data/iam/security-credentials/';
const TTL_HEADER = 'x-aws-ec2-metadata-token-ttl-seconds';
const TOKEN_HEADER = 'x-aws-ec2-metadata-token';

export function startImdsStandIn(initial: ImdsStandInOptions): ImdsStandIn {
  let options: ImdsStandInOptions & { down?: boolean; body?: string } = { ...initial };
  const tokens = new Map<string, number>();
  let issued = 0;
  const stats = { tokenPuts: 0, getsWithToken: 0, getsWithoutToken: 0, credentialGets: 0 };
  const text = (body: string, status = 200) =>
    new Response(body, { status, headers: { 'content-type': 'text/plain' } });

  function tokenRoute(req: Request): Response | Promise<Response> {
    if (req.method !== 'PUT') return text('', 405);
    stats.tokenPuts++;
    const mode = options.tokenRoute ?? 'issue';
    if (mode === 'hang') return new Promise<Response>(() => {});
    if (mode !== 'issue') return text('', mode);
    if (req.headers.has('x-forwarded-for')) return text('', 403);
    const ttl = Number(req.headers.get(TTL_HEADER));
    if (!Number.isInteger(ttl) || ttl < 1 || ttl > 21_600) return text('', 400);
    const token = `imds-token-${++issued}-${Math.random().toString(36).slice(2)}`;
    tokens.set(token, Date.now() + ttl * 1000);
    return text(token);
  }

  const server = Bun.serve({
    port: options.port ?? 0,
    hostname: options.hostname ?? '127.0.0.1',
    fetch(req) {
      if (options.down) return new Promise<Response>(() => {});
      const path = new URL(req.url).pathname;
      if (path === '/latest/api/token') return tokenRoute(req);
      if (req.method !== 'GET') return text('', 405);
      const token = req.headers.get(TOKEN_HEADER);
      if (token !== null) {
        stats.getsWithToken++;
        const expiresAt = tokens.get(token);
        if (expiresAt === undefined || expiresAt <= Date.now()) return text('', 401);
      } else {
        stats.getsWithoutToken++;
        if (options.httpTokens === 'required') return text('', 401);
      }
      const role = options.role ?? 'eks-node-role';
      if (path === CREDENTIALS_PATH) return text(role);
      if (path !== CREDENTIALS_PATH + role) return text('', 404);
      stats.credentialGets++;
      if (options.body !== undefined) return text(options.body);
      const c = typeof options.credentials === 'function' ? options.credentials() : options.credentials;
      return Response.json({
        Code: 'Success',
        LastUpdated: new Date().toISOString().replace(/\.\d{3}Z$/, 'Z'),
        Type: 'AWS-HMAC',
        AccessKeyId: c.accessKeyId,
        SecretAccessKey: c.secretAccessKey,
        Token: c.sessionToken,
        Expiration: c.expiration.toISOString().replace(/\.\d{3}Z$/, 'Z'),
        ...(c.accountId === undefined ? {} : { AccountId: c.accountId }),
      });
    },
  });
  const host = server.hostname?.includes(':') ? `[${server.hostname}]` : server.hostname;
  return {
    url: `http://${host}:${server.port}`,
    stats,
    set(changes) {
      options = { ...options, ...changes };
    },
    async stop() {
      await server.stop(true);
    },
  };
}

// Where the signing keys come from, chosen once from the configuration (a JWKS file, a JWKS URL, the issuer's
// discovery document, else the API server's /openid/v1/jwks), and the one fetch of that location.
import type { KubeApiClient } from '../kube/api-client.ts';
import { discoverJwksUri, loadJwksFile, loadJwksUrl, parseJwks, type SigningKeys } from './jwks-loader.ts';

export type KeySourceKind = 'kube-api' | 'file' | 'url' | 'discovery';

export const KUBE_JWKS_PATH = '/openid/v1/jwks';

export interface KeyLocationOptions {
  kubeApi?: KubeApiClient | undefined;
  tokenIssuer?: string | undefined;
  jwksUrl?: string | undefined;
  jwksFile?: string | undefined;
  fetchTimeoutMs: number;
}

export interface KeyLocation {
  readonly kind: KeySourceKind;
  /** Where keys come from, without secrets (a URL or a path). */
  readonly location: string;
  /** One load of the key set; rejections carry our own messages (they name the source, never key material). */
  fetch(): Promise<SigningKeys>;
}

/** Precedence: a file, then a URL, then the issuer's discovery, then the API server. */
export function keyLocation(options: KeyLocationOptions): KeyLocation {
  const { kubeApi, tokenIssuer, jwksUrl, jwksFile, fetchTimeoutMs } = options;
  if (jwksFile) return { kind: 'file', location: jwksFile, fetch: () => loadJwksFile(jwksFile) };
  if (jwksUrl) return { kind: 'url', location: jwksUrl, fetch: () => loadJwksUrl(jwksUrl, fetchTimeoutMs) };
  if (tokenIssuer) {
    let discoveredUri: string | undefined;
    return {
      kind: 'discovery',
      location: tokenIssuer,
      async fetch() {
        discoveredUri ??= await discoverJwksUri(tokenIssuer, fetchTimeoutMs);
        try {
          return await loadJwksUrl(discoveredUri, fetchTimeoutMs);
        } catch (err) {
          // The issuer may have moved its keys: discover again next time.
          discoveredUri = undefined;
          throw err;
        }
      },
    };
  }
  if (!kubeApi) throw new TypeError('createKeySource needs one of kubeApi, tokenIssuer, jwksUrl or jwksFile');
  return {
    kind: 'kube-api',
    location: kubeApi.baseUrl + KUBE_JWKS_PATH,
    fetch: async () =>
      parseJwks(await kubeApi.requestJson(KUBE_JWKS_PATH, { timeoutMs: fetchTimeoutMs }), 'API server JWKS'),
  };
}

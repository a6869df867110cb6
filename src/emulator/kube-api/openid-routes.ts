// The API server's service-account issuer discovery routes (ServiceAccountIssuerDiscovery, GA in 1.21):
// `/.well-known/openid-configuration` and `/openid/v1/jwks`, answered with the issuer's current keys in the
// same shape and content type as kube-apiserver. Both need an authenticated caller; by default RBAC lets every
// service account read them (ClusterRoleBinding system:service-account-issuer-discovery -> group
// system:serviceaccounts).
import type { TokenIssuer } from '../token-issuer.ts';
import type { KubeRoute } from './routes.ts';

export function openidRoutes(issuer: TokenIssuer): KubeRoute[] {
  return [
    {
      method: 'GET',
      path: /^\/openid\/v1\/jwks\/?$/,
      handle: () =>
        new Response(JSON.stringify(issuer.jwks()), {
          headers: { 'content-type': 'application/jwk-set+json' },
        }),
    },
    {
      method: 'GET',
      path: /^\/\.well-known\/openid-configuration\/?$/,
      handle: () => Response.json(issuer.openidConfiguration()),
    },
  ];
}

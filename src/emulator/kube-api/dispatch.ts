// How the API-server stand-in picks an answer for a request: bearer-token authentication against the
// emulator's issuer, then the first route whose path and method match (403 under the forbidden fault,
// else 405 when only the method differs, 404 when no path does).
import type { Clock } from '../../clock.ts';
import type { TokenIssuer } from '../token-issuer.ts';
import { createTokenVerifier } from '../token-verifier.ts';
import type { KubeCaller, KubeRoute } from './routes.ts';
import { statusResponse } from './status.ts';

/** The caller of a request, or the Status answer for an anonymous or rejected caller. */
export function createAuthenticator(
  issuer: TokenIssuer,
  audience: string,
  clock: Clock,
  onUnauthorized: () => void,
): (request: Request) => KubeCaller | Response {
  const verifyBearer = createTokenVerifier({
    issuer: issuer.issuer,
    publicKeyFor: issuer.publicKeyFor,
    audience,
  });
  return function authenticate(request) {
    const header = request.headers.get('authorization');
    // No credentials: the anonymous user, whom default RBAC does not let read anything here.
    if (!header) return statusResponse('Forbidden', 'forbidden: User "system:anonymous" cannot get path');
    const token = header.startsWith('Bearer ') ? header.slice(7) : '';
    try {
      const caller = verifyBearer(token, clock.now());
      return { namespace: caller.namespace, serviceAccount: caller.serviceAccount };
    } catch {
      onUnauthorized();
      return statusResponse('Unauthorized', 'Unauthorized');
    }
  };
}

/** The answer of the route matching an authenticated request's path and method. */
export function routeRequest(
  routes: readonly KubeRoute[],
  request: Request,
  path: string,
  caller: KubeCaller,
  forbidden: boolean | undefined,
): Response | Promise<Response> {
  let pathKnown = false;
  for (const route of routes) {
    const match = route.path.exec(path);
    if (!match) continue;
    pathKnown = true;
    // Several methods may share a path (GET and PATCH on a node): 405 only when none of them matches.
    if (route.method !== request.method) continue;
    if (forbidden) {
      return statusResponse(
        'Forbidden',
        `forbidden: User "system:serviceaccount:${caller.namespace}:${caller.serviceAccount}" cannot ${request.method.toLowerCase()} path "${path}"`,
      );
    }
    return route.handle(request, match, caller);
  }
  if (pathKnown) return statusResponse('MethodNotAllowed', 'the server does not allow this method');
  return statusResponse('NotFound', 'the server could not find the requested resource');
}

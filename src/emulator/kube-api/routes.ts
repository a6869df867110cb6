// One route of the API-server stand-in. Each group of routes (issuer discovery; nodes) lives in its own file
// and is listed in index.ts; the server authenticates the caller before any route runs.

export interface KubeCaller {
  readonly namespace: string;
  readonly serviceAccount: string;
}

export interface KubeRoute {
  readonly method: string;
  /** Matched against the path alone (no query); must be anchored. */
  readonly path: RegExp;
  handle(request: Request, match: RegExpExecArray, caller: KubeCaller): Response | Promise<Response>;
}

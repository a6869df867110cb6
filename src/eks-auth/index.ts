// The EKS Auth client's public surface: what the rest of the agent imports.
export { createEksAuthClient, EKS_AUTH_CLIENT_DEFAULTS, type EksAuthClientOptions } from './client.ts';
export { EksAuthError, type EksAuthErrorKind } from './errors.ts';
export { type CredentialsProvider, createNodeCredentials } from './node-credentials.ts';
export type * from './types.ts';

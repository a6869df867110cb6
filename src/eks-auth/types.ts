// The shapes of the one upstream operation, EKS Auth AssumeRoleForPodIdentity, as the agent uses them.
// Same members as the official client's output, with the expiration already a Date.

export interface PodCredentials {
  readonly accessKeyId: string;
  readonly secretAccessKey: string;
  readonly sessionToken: string;
  readonly expiration: Date;
}

export interface AssumeRoleForPodIdentityResult {
  readonly credentials: PodCredentials;
  /** Account id taken from assumedRoleUser.arn. */
  readonly accountId: string;
  readonly assumedRoleUser: { readonly arn: string; readonly assumeRoleId: string };
  readonly podIdentityAssociation: { readonly associationArn: string; readonly associationId: string };
  readonly subject: { readonly namespace: string; readonly serviceAccount: string };
  readonly audience: string;
  /** x-amzn-requestid of the successful attempt, when present. */
  readonly requestId: string | undefined;
}

export interface AssumeRoleOptions {
  /** Absolute time (epoch ms, from the client's clock) after which no new attempt starts. */
  readonly deadlineMs?: number;
  /** Cancels the call (shutdown only: client disconnects never cancel upstream calls). */
  readonly signal?: AbortSignal;
  /** Why the call is made, for metrics and logs. */
  readonly reason?: 'request' | 'refresh';
}

/** Failures are thrown as EksAuthError (src/eks-auth/errors.ts), an AgentError subclass. */
export interface EksAuthClient {
  assumeRoleForPodIdentity(
    token: string,
    options?: AssumeRoleOptions,
  ): Promise<AssumeRoleForPodIdentityResult>;
  /** Stops background work (credential-file rotation). */
  close(): void;
}

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
  /**
   * How long from now (monotonic) the call may keep waiting for its turn and retrying; no attempt starts
   * after it. Unbounded when absent.
   */
  readonly budgetMs?: number;
  /** Fairness key (the pod's source address): calls queue per client and are served round-robin. */
  readonly client?: string;
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

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
  /** Who still waits for the call, read each time the fair gate picks the next call (fair-queues.ts). */
  readonly demand?: Demand;
  /**
   * Server-side failures (5xx other than throttling, timeouts, no connection) do not end the call while its
   * budget lasts: it waits for the failure gate's probes instead (client.ts). For a pod's miss with nothing
   * cached to serve instead, whose request is answered at its patience meanwhile. Needs budgetMs.
   */
  readonly hold?: boolean;
  /** A held call goes on after `failure` (what its pods' requests answered at their patience may say). */
  readonly onHeld?: (failure: unknown) => void;
}

/**
 * Who still waits for an upstream call: the pods' requests held for it (src/credentials/demand.ts). The fair
 * gate serves calls someone waits for first, soonest expected give-up first, so a storm's admitted calls go
 * to pods still there to take the answer rather than to pods that gave up or are between retries.
 */
export interface Demand {
  /** Requests holding out for the call's answer now. */
  readonly waiting: number;
  /** Monotonic ms since nobody has waited (the call's start when nobody ever did); unused while waiting. */
  readonly idleSinceMs: number;
  /**
   * Monotonic ms by which the longest-waiting request is expected to be given up: its arrival plus how long
   * this pod's client held on before it last hung up on the call. Undefined while not known.
   */
  readonly expectedEndMs: number | undefined;
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

// The shape every health check returns; probes turn it into 200 or 503.

export interface ProbeResult {
  ok: boolean;
  /** Non-secret facts shown in the probe body (merged into the JSON next to "status"). */
  detail?: Record<string, unknown>;
}

export interface ProbeChecks {
  /** The process can serve. Must never depend on EKS Auth or any remote system. */
  liveness: () => ProbeResult;
  /** The agent is ready to answer credentials requests. */
  readiness: () => ProbeResult | Promise<ProbeResult>;
}

// What a simulated node runs on 169.254.170.23: this project's agent (real modules) or the public agent's
// modelled policy. The pods' SDK models talk to either through this one seam.
import type { EksAuthModel } from './eks-auth-model.ts';
import type { VirtualTime } from './virtual-time.ts';

export interface AgentAnswer {
  readonly status: number;
  readonly body: string;
}

export interface NodeAgent {
  /** One GET /v1/credentials; `gaveUp` aborts when the SDK's read timeout passes (the connection closes). */
  request(token: string, clientAddress: string, gaveUp: AbortSignal): Promise<AgentAnswer>;
  /** The DaemonSet pod goes away (rollout): in-flight work is cancelled, the cache is lost. */
  stop(): void;
}

export interface NodeContext {
  readonly index: number;
  readonly time: VirtualTime;
  readonly random: () => number;
  readonly eksAuth: EksAuthModel;
}

export interface AgentPolicy {
  /** Label in tables and plots. */
  readonly label: string;
  /** True for a policy re-created from facts rather than run from this project's code. */
  readonly modelled: boolean;
  start(node: NodeContext): NodeAgent;
}

// Scenarios are data: a cluster, its workloads, its pods' SDK mix, EKS Auth's limits and timed events.
// Durations are Go-style strings ("90s", "10m", "1h30m") or milliseconds; a user's scenario is a JSON file
// of this shape (see README "Cluster simulator").
import { parseGoDuration } from '../../src/config/duration.ts';

export type Duration = string | number;

export type Workload =
  /** Long-running pods, `perNode` on every node; each lives an exponential time of mean `meanLife`, then is replaced. */
  | { kind: 'deployment'; perNode: number; meanLife: Duration; association?: boolean }
  /** Jobs arriving at random, `perNodePerHour` on average per node; each runs `run`. */
  | { kind: 'job'; perNodePerHour: number; run: Duration; association?: boolean }
  /** `count` pods started cluster-wide at the same instant every `every` (at offset `at`); each runs `run`. */
  | { kind: 'cronjob'; count: number; every: Duration; run: Duration; at?: Duration; association?: boolean }
  /** `perNode` pods whose container exits after `run` and restarts with kubelet's back-off (10 s doubling, 5 min cap). */
  | { kind: 'crashloop'; perNode: number; run: Duration; association?: boolean };

export type ClusterEvent =
  /** Nodes added (or removed) linearly until `toNodes` over `over`. */
  | { type: 'scale'; at: Duration; toNodes: number; over: Duration }
  /** The agent DaemonSet rolls over the cluster in `over`; each node's agent is down for `down`. */
  | { type: 'roll'; at: Duration; over: Duration; down: Duration }
  /** EKS Auth fails every call for `for`: 503s, or ('blackhole') no answer at all. */
  | { type: 'outage'; at: Duration; for: Duration; mode?: 'unavailable' | 'blackhole' };

export interface Scenario {
  readonly name: string;
  readonly description: string;
  /** Simulated time; figures are taken from `measureFrom` (a warm-up before it) to the end. */
  readonly duration: Duration;
  readonly measureFrom?: Duration;
  readonly nodes: number;
  readonly workloads: readonly Workload[];
  /** Share of pods per SDK model (keys of SDK_MODELS); default DEFAULT_SDK_MIX. */
  readonly sdkMix?: Readonly<Record<string, number>>;
  readonly eksAuth?: {
    readonly ratePerSecond?: number;
    readonly burst?: number;
    readonly latency?: Duration;
    readonly latencyTail?: Duration;
  };
  readonly events?: readonly ClusterEvent[];
  /** Credential lifetime EKS Auth grants; default 6h. */
  readonly credentialLifetime?: Duration;
  /** Projected token lifetime (kubelet rotates at 80%); default 24h. */
  readonly tokenLifetime?: Duration;
  /** After an SDK reports a failure, the application's next AWS call (and so credential fetch); default 10s. */
  readonly appRetry?: Duration;
  /** New pods on a node start within this long of the node being ready; default 60s. */
  readonly podStartSpread?: Duration;
  /** Flags for this project's agent (e.g. ["--max-service-qps", "5"]). */
  readonly agentArgs?: readonly string[];
  readonly seed?: number;
}

export function ms(d: Duration | undefined, fallback: number): number {
  if (d === undefined) return fallback;
  if (typeof d === 'number') return d;
  return parseGoDuration(d);
}

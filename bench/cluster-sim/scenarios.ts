// The default scenarios (`npm run sim` runs them all). Sized to finish in well under a minute on 2 cores;
// a user's own scenario is a JSON file of the same shape (bench/cluster-sim/examples/).
import type { Scenario } from './scenario.ts';

/** Not published by AWS: an assumption, set per scenario with eksAuth.ratePerSecond. */
export const DEFAULT_EKS_AUTH = {
  ratePerSecond: 100,
  burst: 100,
  latency: '40ms',
  latencyTail: '30ms',
} as const;

const mixedWorkloads = [
  { kind: 'deployment', perNode: 20, meanLife: '24h' },
  { kind: 'job', perNodePerHour: 2, run: '5m' },
  { kind: 'cronjob', count: 20, every: '15m', run: '2m' },
  { kind: 'crashloop', perNode: 0.1, run: '20s', association: false },
] as const;

export const DEFAULT_SCENARIOS: readonly Scenario[] = [
  {
    name: 'steady-day',
    description:
      '50 nodes for a day after a 6 h warm-up: Deployments (20 pods/node, mean life 24 h), Jobs (2/node/h, 5 min), ' +
      '20 CronJob pods every 15 min (2 min), crash-looping pods without an association (1 in 10 nodes)',
    duration: '30h',
    measureFrom: '6h',
    nodes: 50,
    workloads: mixedWorkloads,
    eksAuth: DEFAULT_EKS_AUTH,
  },
  {
    name: 'scale-up',
    description:
      '100 -> 1,000 nodes in 10 min (20 Deployment pods per new node, Jobs 2/node/h), 30 min in all',
    duration: '30m',
    nodes: 100,
    workloads: [
      { kind: 'deployment', perNode: 20, meanLife: '24h' },
      { kind: 'job', perNodePerHour: 2, run: '5m' },
    ],
    eksAuth: DEFAULT_EKS_AUTH,
    events: [{ type: 'scale', at: '5m', toNodes: 1000, over: '10m' }],
  },
  {
    name: 'agent-rollout',
    description:
      "the agent DaemonSet rolls across 200 nodes in 20 min (each node's agent down 5 s), 8 h in all",
    duration: '8h',
    measureFrom: '1h',
    nodes: 200,
    workloads: mixedWorkloads,
    eksAuth: DEFAULT_EKS_AUTH,
    events: [{ type: 'roll', at: '2h', over: '20m', down: '5s' }],
  },
  {
    name: 'outage',
    description:
      'EKS Auth down (503) for 15 min on 200 nodes with Jobs and CronJobs starting throughout, 3 h in all',
    duration: '3h',
    measureFrom: '30m',
    nodes: 200,
    workloads: mixedWorkloads,
    eksAuth: DEFAULT_EKS_AUTH,
    events: [{ type: 'outage', at: '1h', for: '15m' }],
  },
];

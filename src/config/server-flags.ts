// The `server` flag table: the public agent's flags (same names, short forms, defaults, meanings) first,
// then our additive ones. The parser and `server --help` both read it, so they cannot drift apart.
// Over 200 lines because it is one table: a flag per entry with its help text, read by the parser and the help.
import { type FlagSpec, HELP_FLAG, VERBOSITY_FLAG } from '../cli/flag-parser.ts';

export const SERVER_FLAGS = [
  // --- the public agent's flags ---
  {
    name: 'cluster-name',
    short: 'c',
    kind: 'value',
    valueName: 'NAME',
    help: 'Name of the EKS cluster the agent runs on (required).',
  },
  {
    name: 'port',
    short: 'p',
    kind: 'value',
    valueName: 'PORT',
    default: '80',
    help: 'Port of the credentials server.',
  },
  {
    name: 'bind-hosts',
    short: 'b',
    kind: 'list',
    valueName: 'HOST',
    default: ['169.254.170.23', '[fd00:ec2::23]'],
    help: 'Addresses the credentials server listens on; also the only Host headers it accepts.',
  },
  {
    name: 'probe-port',
    kind: 'value',
    valueName: 'PORT',
    default: '2703',
    help: 'Port of /healthz and /readyz.',
  },
  {
    name: 'metrics-address',
    kind: 'value',
    valueName: 'ADDRESS',
    default: '0.0.0.0',
    help: 'Address of the metrics server (/metrics and the probes).',
  },
  {
    name: 'metrics-port',
    kind: 'value',
    valueName: 'PORT',
    default: '2705',
    help: 'Port of the metrics server.',
  },
  {
    name: 'max-credential-retention-before-renewal',
    kind: 'value',
    valueName: 'DURATION',
    default: '3h',
    help: 'Longest time credentials are served from the cache before renewal (Go duration); 0 disables caching.',
  },
  {
    name: 'max-cache-size',
    kind: 'value',
    valueName: 'N',
    default: '2000',
    help: 'Most credentials kept in the cache; 0 disables caching.',
  },
  {
    name: 'max-service-qps',
    kind: 'value',
    valueName: 'QPS',
    default: '3',
    help: 'Background refresh calls per second to EKS Auth.',
  },
  {
    name: 'rotate-credentials',
    kind: 'boolean',
    default: 'false',
    help: "Re-read the node's shared credentials file every minute (hybrid nodes).",
  },
  {
    name: 'endpoint',
    kind: 'value',
    valueName: 'URL',
    defaultText:
      "AWS_ENDPOINT_URL_EKS_AUTH, else the region's partition endpoint, e.g. https://eks-auth.REGION.api.aws (AWS_USE_FIPS_ENDPOINT=true: eks-auth-fips)",
    help: 'EKS Auth endpoint override (http or https).',
  },
  VERBOSITY_FLAG,
  // --- additive flags ---
  {
    name: 'probe-address',
    kind: 'value',
    valueName: 'ADDRESS',
    default: 'localhost',
    help: 'Address of the probe server.',
  },
  {
    name: 'probe-socket',
    kind: 'value',
    valueName: 'PATH',
    help: "Also serve /healthz and /readyz on this Unix socket: the pod's own answer while two agents share the probe port during a rollout (`probe` asks it; empty: none).",
  },
  {
    name: 'verify-tokens',
    kind: 'value',
    valueName: 'MODE',
    defaultText: 'signature when a key source is given or the agent runs in a cluster, else claims',
    help: 'Token checks before calling EKS Auth: off, claims (shape and time), signature (also the JWKS signature).',
  },
  {
    name: 'token-issuer',
    kind: 'value',
    valueName: 'URL',
    help: "The cluster's OIDC issuer; its discovery document gives the signing keys (empty: unset).",
  },
  {
    name: 'jwks-url',
    kind: 'value',
    valueName: 'URL',
    help: 'URL of the service-account signing keys (JWKS).',
  },
  { name: 'jwks-file', kind: 'value', valueName: 'PATH', help: 'File holding the signing keys (JWKS).' },
  {
    name: 'jwks-cache-file',
    kind: 'value',
    valueName: 'PATH',
    help: 'Keep the last good signing keys here (an emptyDir), so a restart during an API-server outage still verifies.',
  },
  {
    name: 'key-source-grace',
    kind: 'value',
    valueName: 'DURATION',
    default: '2m',
    help: 'How long the key source may fail to load before /readyz reports it (claims mode serves meanwhile).',
  },
  {
    name: 'service-account-dir',
    kind: 'value',
    valueName: 'PATH',
    default: '/var/run/secrets/kubernetes.io/serviceaccount',
    help: "The agent's own service-account token and cluster CA, for the API server (KUBERNETES_SERVICE_HOST/PORT).",
  },
  {
    name: 'workers',
    kind: 'value',
    valueName: 'N',
    defaultText: 'available cores - 1, between 1 and 4',
    help: 'Signature-verification threads; 0 verifies on the main thread.',
  },
  {
    name: 'strict-bind',
    kind: 'boolean',
    default: 'false',
    help: 'Fail at start if any bind host cannot be bound (otherwise IPv6 failures are tolerated).',
  },
  {
    name: 'audit-log',
    kind: 'boolean',
    default: 'false',
    help: 'One log line per request: identity, status, cache hit or miss, latency.',
  },
  {
    name: 'upstream-timeout',
    kind: 'value',
    valueName: 'DURATION',
    default: '4s',
    help: 'Time limit of one EKS Auth attempt, connect included (Bun fetch has no separate connect phase); only for hung connections: a slow answer within it is cached.',
  },
  {
    name: 'max-upstream-concurrency',
    kind: 'value',
    valueName: 'N',
    default: '128',
    help: 'EKS Auth calls in flight at once.',
  },
  {
    name: 'upstream-failure-gate',
    kind: 'value',
    valueName: 'N',
    default: '5',
    help:
      'Distinct pods whose EKS Auth calls fail server-side (5xx, timeouts, no connection) in a row before the ' +
      "failure gate opens: a probe call at most every 250 ms (every 1 s once open 10 s) is then sent and the others wait for it; new pods' misses " +
      'wait through failed probes until a probe succeeds (each request answered at its patience with a retryable 503 RequestTimeoutException carrying the latest failure); the first answer closes it. 0 disables.',
  },
  {
    name: 'max-connections',
    kind: 'value',
    valueName: 'N',
    default: '16384',
    help:
      'Open descriptors (connections and the rest) at which the data listeners stop accepting until they fall; ' +
      'also capped by the fd limit less a reserve. Bounds what a connection flood costs in memory.',
  },
  {
    name: 'client-patience',
    kind: 'value',
    valueName: 'DURATION',
    default: '4500ms',
    help: "How long a request waits on a cache miss before a retryable 503 (the call goes on and fills the cache); just under Rust's 5 s read timeout.",
  },
  {
    name: 'rate-limit-per-client',
    kind: 'value',
    valueName: 'RPS',
    default: '100',
    help: 'Cache misses per second per client address; 0 disables. Hits are not limited.',
  },
  {
    name: 'rate-limit-global',
    kind: 'value',
    valueName: 'RPS',
    default: '0',
    help: 'Cache misses per second in total; 0 means unlimited.',
  },
  {
    name: 'drain-delay',
    kind: 'value',
    valueName: 'DURATION',
    default: '0s',
    help: 'After SIGTERM, keep serving this long, closing each kept-alive connection after its next answer, before the drain: clients move to a new connection (in a rollout, to the new agent) instead of meeting a closed one. The manifests set 5s.',
  },
  {
    name: 'shutdown-timeout',
    kind: 'value',
    valueName: 'DURATION',
    default: '30s',
    help: 'Longest drain of in-flight requests on SIGTERM.',
  },
  {
    name: 'helper-thread-nice',
    kind: 'value',
    valueName: 'N',
    default: '19',
    help: "Nice value (1-19) of the agent's threads other than the main one (HTTP client, JIT, signature workers), so on a shared core they yield to the thread that answers cached pods; 0 leaves them alone.",
  },
  {
    name: 'startup-taint',
    kind: 'value',
    valueName: 'KEY[:EFFECT]',
    help: "Once serving, remove this taint from the agent's own node (NODE_NAME); off when unset or empty.",
  },
  HELP_FLAG,
] as const satisfies readonly FlagSpec[];

export type ServerFlagName = (typeof SERVER_FLAGS)[number]['name'];

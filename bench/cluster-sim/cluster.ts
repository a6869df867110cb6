// Runs one scenario under one agent policy: nodes (one agent instance each), pods with their SDK models,
// the modelled EKS Auth and the scenario's events, all on one virtual clock. Returns what the recorder saw.
import { createEksAuthModel, type Outage, type TokenRecord } from './eks-auth-model.ts';
import type { AgentPolicy, NodeAgent } from './node-agent.ts';
import { createRecorder, type Recorder } from './recorder.ts';
import { ms, type Scenario, type Workload } from './scenario.ts';
import { DEFAULT_SDK_MIX, type Outcome, SDK_MODELS, type SdkModel } from './sdk-models.ts';
import { createRandom, createVirtualTime } from './virtual-time.ts';

const START_MS = Date.UTC(2026, 11, 1, 0, 0, 0);
const HOUR = 3_600_000;
/** An SDK asks again at most this often, whatever its refresh window says (its app calls AWS in between). */
const MIN_REASK_MS = 60_000;
const CRASH_BACKOFF_START_MS = 10_000;
const CRASH_BACKOFF_MAX_MS = 300_000;
const TOKEN_ROTATE_FRACTION = 0.8;

export interface RunResult {
  readonly scenario: Scenario;
  readonly policy: AgentPolicy;
  readonly recorder: Recorder;
  /** Start of the measured window, seconds from the start. */
  readonly measureFromS: number;
  /** Timer events the virtual clock executed. */
  readonly virtualEvents: number;
  readonly wallMs: number;
}

interface Node {
  readonly index: number;
  agent: NodeAgent | undefined;
  /** Removed by a scale-down: its pods are gone and it takes no new ones. */
  removed: boolean;
  readonly pods: Set<Pod>;
}

interface Pod {
  readonly uid: string;
  readonly node: Node;
  readonly sdk: SdkModel;
  readonly hasAssociation: boolean;
  token: string;
  alive: boolean;
  /** Container generation: a crash-loop restart starts a new SDK process; the old one's loops stop. */
  gen: number;
  credsExpMs: number;
  counted: boolean;
}

function pickSdk(mix: Readonly<Record<string, number>>, random: () => number): SdkModel {
  const entries = Object.entries(mix);
  const total = entries.reduce((s, [, w]) => s + w, 0);
  let r = random() * total;
  for (const [name, w] of entries) {
    r -= w;
    if (r < 0) {
      const model = SDK_MODELS[name];
      if (!model) throw new Error(`unknown SDK model ${JSON.stringify(name)} in sdkMix`);
      return model;
    }
  }
  return SDK_MODELS[entries[0]![0]]!;
}

function base64url(value: unknown): string {
  return Buffer.from(JSON.stringify(value)).toString('base64url');
}

const JWT_HEADER = base64url({ alg: 'RS256', kid: 'simulated' });

export async function runScenario(scenario: Scenario, policy: AgentPolicy): Promise<RunResult> {
  const wallStart = performance.now();
  const durationMs = ms(scenario.duration, HOUR);
  const measureFromMs = ms(scenario.measureFrom, 0);
  const credentialLifetimeMs = ms(scenario.credentialLifetime, 6 * HOUR);
  const tokenLifetimeMs = ms(scenario.tokenLifetime, 24 * HOUR);
  const appRetryMs = ms(scenario.appRetry, 10_000);
  const podStartSpreadMs = ms(scenario.podStartSpread, 60_000);
  const mix = scenario.sdkMix ?? DEFAULT_SDK_MIX;
  // Separate streams, so both policies see the very same pods arrive, live and die: only what the agents,
  // EKS Auth and the SDKs' jitter draw differs with what they do.
  const seed = scenario.seed ?? 1;
  const random = createRandom(seed);
  const sdkRandom = createRandom(seed + 1);
  const agentRandom = createRandom(seed + 2);
  const eksAuthRandom = createRandom(seed + 3);
  const time = createVirtualTime(START_MS);
  const recorder = createRecorder(START_MS, durationMs);
  const outages: Outage[] = (scenario.events ?? [])
    .filter((e) => e.type === 'outage')
    .map((e) => ({ atMs: START_MS + ms(e.at, 0), durationMs: ms(e.for, 0), mode: e.mode ?? 'unavailable' }));
  const eksAuth = createEksAuthModel(
    {
      ratePerSecond: scenario.eksAuth?.ratePerSecond ?? 50,
      burst: scenario.eksAuth?.burst ?? scenario.eksAuth?.ratePerSecond ?? 50,
      latencyMs: ms(scenario.eksAuth?.latency, 40),
      latencyTailMs: ms(scenario.eksAuth?.latencyTail, 30),
      errorLatencyMs: 10,
      outages,
    },
    time,
    eksAuthRandom,
    recorder,
  );

  const nodes: Node[] = [];
  let podSeq = 0;
  const at = (offsetMs: number, fn: () => void) => time.setTimeout(fn, START_MS + offsetMs - time.now());

  // --- credentials as a pod's SDK sees them ---
  const setCounted = (pod: Pod, counted: boolean) => {
    if (pod.counted === counted) return;
    pod.counted = counted;
    recorder.pods(time.now(), 0, counted ? 1 : -1);
  };
  const holdsCreds = (pod: Pod) => pod.credsExpMs - time.now() > 0;

  function attemptOnce(pod: Pod): Promise<{ expiresAtMs: number } | Outcome> {
    const agent = pod.node.agent;
    if (agent === undefined) return Promise.resolve('network');
    recorder.sdkRequest();
    return new Promise((resolve) => {
      const gaveUp = new AbortController();
      let settled = false;
      const finish = (r: { expiresAtMs: number } | Outcome) => {
        if (settled) return;
        settled = true;
        time.clearTimeout(timer);
        resolve(r);
      };
      const timer = Number.isFinite(pod.sdk.readTimeoutMs)
        ? time.setTimeout(() => {
            finish('timeout');
            gaveUp.abort();
          }, pod.sdk.readTimeoutMs)
        : undefined;
      agent.request(pod.token, pod.uid, gaveUp.signal).then(
        (answer) => {
          if (answer.status !== 200) return finish(answer.status);
          const expiration = (JSON.parse(answer.body) as { Expiration: string }).Expiration;
          finish({ expiresAtMs: Date.parse(expiration) });
        },
        () => finish('network'),
      );
    });
  }

  async function fetchCredentials(pod: Pod, gen: number): Promise<void> {
    const live = () => pod.alive && pod.gen === gen;
    for (let n = 1; live(); n++) {
      const r = await attemptOnce(pod);
      if (!live()) return;
      if (typeof r === 'object') {
        pod.credsExpMs = r.expiresAtMs;
        setCounted(pod, false);
        const nowMs = time.now();
        let askAt = r.expiresAtMs - pod.sdk.refreshBeforeMs;
        if (pod.sdk.periodMs !== undefined) askAt = Math.min(askAt, nowMs + pod.sdk.periodMs);
        askAt = Math.max(askAt, nowMs + Math.min(MIN_REASK_MS, Math.max(1000, r.expiresAtMs - nowMs - 1000)));
        time.setTimeout(() => void fetchCredentials(pod, gen), askAt - nowMs);
        time.setTimeout(() => onExpiry(pod, gen), r.expiresAtMs - nowMs);
        return;
      }
      if (n >= pod.sdk.attempts || !pod.sdk.retries(r)) break;
      await time.sleep(pod.sdk.delayMs(n, sdkRandom));
    }
    if (!live()) return;
    recorder.sdkFailure();
    time.setTimeout(() => void fetchCredentials(pod, gen), appRetryMs);
  }

  function onExpiry(pod: Pod, gen: number) {
    if (pod.alive && pod.gen === gen && !holdsCreds(pod) && pod.hasAssociation) setCounted(pod, true);
  }

  // --- pods ---
  function issueToken(pod: Pod, namespace: string, serviceAccount: string) {
    const iat = time.now();
    const expMs = iat + tokenLifetimeMs;
    const payload = {
      aud: ['pods.eks.amazonaws.com'],
      exp: Math.floor(expMs / 1000),
      iat: Math.floor(iat / 1000),
      nbf: Math.floor(iat / 1000),
      iss: 'https://oidc.eks.us-west-2.amazonaws.com/id/SIMULATED',
      sub: `system:serviceaccount:${namespace}:${serviceAccount}`,
      'kubernetes.io': {
        namespace,
        pod: { name: pod.uid, uid: pod.uid },
        serviceaccount: { name: serviceAccount, uid: `sa-${serviceAccount}` },
      },
    };
    const token = `${JWT_HEADER}.${base64url(payload)}.c2ltdWxhdGVk`;
    const record: TokenRecord = {
      podUid: pod.uid,
      namespace,
      serviceAccount,
      expMs,
      hasAssociation: pod.hasAssociation,
      credentialLifetimeMs,
      alive: () => pod.alive,
    };
    eksAuth.tokens.set(token, record);
    pod.token = token;
    // The kubelet rewrites the projected token at 80% of its lifetime; SDKs read the file on each fetch.
    time.setTimeout(() => {
      if (pod.alive) issueToken(pod, namespace, serviceAccount);
    }, tokenLifetimeMs * TOKEN_ROTATE_FRACTION);
  }

  function startPod(node: Node, workload: Workload, runMs: number | undefined): Pod | undefined {
    if (node.removed) return undefined;
    const uid = `pod-${(++podSeq).toString(36)}`;
    const pod: Pod = {
      uid,
      node,
      sdk: pickSdk(mix, random),
      hasAssociation: workload.association ?? true,
      token: '',
      alive: true,
      gen: 0,
      credsExpMs: 0,
      counted: false,
    };
    node.pods.add(pod);
    const serviceAccount = `${workload.kind}-sa-${podSeq % 50}`;
    issueToken(pod, 'default', serviceAccount);
    recorder.pods(time.now(), 1, 0);
    // From its start a pod wants credentials; it is counted without them until its SDK holds some.
    if (pod.hasAssociation) setCounted(pod, true);
    void fetchCredentials(pod, 0);
    if (runMs !== undefined) time.setTimeout(() => stopPod(pod), runMs);
    if (workload.kind === 'crashloop') crashLater(pod, ms(workload.run, 30_000), CRASH_BACKOFF_START_MS);
    return pod;
  }

  function crashLater(pod: Pod, runMs: number, backoffMs: number) {
    time.setTimeout(() => {
      if (!pod.alive) return;
      pod.gen++;
      pod.credsExpMs = 0;
      if (pod.hasAssociation) setCounted(pod, true);
      time.setTimeout(() => {
        if (!pod.alive) return;
        void fetchCredentials(pod, pod.gen);
        crashLater(pod, runMs, Math.min(CRASH_BACKOFF_MAX_MS, backoffMs * 2));
      }, backoffMs);
    }, runMs);
  }

  function stopPod(pod: Pod) {
    if (!pod.alive) return;
    setCounted(pod, false);
    pod.alive = false;
    pod.node.pods.delete(pod);
    recorder.pods(time.now(), -1, 0);
  }

  function startDeploymentPod(node: Node, w: Extract<Workload, { kind: 'deployment' }>, delayMs: number) {
    time.setTimeout(() => {
      const lifeMs = -Math.log(1 - random()) * ms(w.meanLife, 24 * HOUR);
      const pod = startPod(node, w, undefined);
      if (pod === undefined) return;
      // When it ends (a rollout, an eviction), the ReplicaSet replaces it.
      time.setTimeout(() => {
        if (!pod.alive) return;
        stopPod(pod);
        startDeploymentPod(node, w, 1000 + random() * 4000);
      }, lifeMs);
    }, delayMs);
  }

  function countFor(perNode: number): number {
    const whole = Math.floor(perNode);
    return whole + (random() < perNode - whole ? 1 : 0);
  }

  // --- nodes ---
  function addNode(): Node {
    const node: Node = { index: nodes.length, agent: undefined, removed: false, pods: new Set() };
    nodes.push(node);
    node.agent = policy.start({ index: node.index, time, random: agentRandom, eksAuth });
    for (const w of scenario.workloads) {
      if (w.kind === 'deployment')
        for (let i = countFor(w.perNode); i > 0; i--)
          startDeploymentPod(node, w, random() * podStartSpreadMs);
      if (w.kind === 'crashloop')
        for (let i = countFor(w.perNode); i > 0; i--)
          time.setTimeout(() => startPod(node, w, undefined), random() * podStartSpreadMs);
    }
    return node;
  }
  function removeNode(node: Node) {
    node.removed = true;
    for (const pod of [...node.pods]) stopPod(pod);
    node.agent?.stop();
    node.agent = undefined;
  }
  const activeNodes = () => nodes.filter((n) => !n.removed);

  for (let i = 0; i < scenario.nodes; i++) addNode();

  // --- workloads that arrive over time ---
  for (const w of scenario.workloads) {
    if (w.kind === 'job') {
      const runMs = ms(w.run, 300_000);
      const arrive = () => {
        const live = activeNodes();
        if (live.length > 0) startPod(live[Math.floor(random() * live.length)]!, w, runMs);
        const ratePerMs = (w.perNodePerHour * Math.max(1, activeNodes().length)) / HOUR;
        time.setTimeout(arrive, -Math.log(1 - random()) / ratePerMs);
      };
      time.setTimeout(arrive, -Math.log(1 - random()) / ((w.perNodePerHour * scenario.nodes) / HOUR));
    }
    if (w.kind === 'cronjob') {
      const everyMs = ms(w.every, 900_000);
      const runMs = ms(w.run, 120_000);
      const fire = () => {
        const live = activeNodes();
        // The CronJob controller creates them together; each pod starts within a second or two.
        for (let i = 0; i < w.count && live.length > 0; i++) {
          const node = live[Math.floor(random() * live.length)]!;
          time.setTimeout(() => startPod(node, w, runMs), random() * 2000);
        }
        time.setTimeout(fire, everyMs);
      };
      at(ms(w.at, everyMs), fire);
    }
  }

  // --- events ---
  for (const e of scenario.events ?? []) {
    if (e.type === 'scale') {
      const overMs = Math.max(1, ms(e.over, 0));
      at(ms(e.at, 0), () => {
        const from = activeNodes().length;
        const steps = Math.abs(e.toNodes - from);
        for (let i = 1; i <= steps; i++) {
          time.setTimeout(
            () => {
              if (e.toNodes > from) addNode();
              else {
                const victim = activeNodes().at(-1);
                if (victim) removeNode(victim);
              }
            },
            (overMs * i) / steps,
          );
        }
      });
    }
    if (e.type === 'roll') {
      const overMs = ms(e.over, 0);
      const downMs = ms(e.down, 5000);
      at(ms(e.at, 0), () => {
        const live = activeNodes();
        live.forEach((node, i) => {
          time.setTimeout(
            () => {
              if (node.removed) return;
              node.agent?.stop();
              node.agent = undefined;
              time.setTimeout(() => {
                if (!node.removed)
                  node.agent = policy.start({ index: node.index, time, random: agentRandom, eksAuth });
              }, downMs);
            },
            (overMs * i) / live.length,
          );
        });
      });
    }
  }

  await time.run(START_MS + durationMs);
  recorder.finish(START_MS + durationMs);
  for (const node of nodes) node.agent?.stop();
  return {
    scenario,
    policy,
    recorder,
    measureFromS: Math.floor(measureFromMs / 1000),
    virtualEvents: time.executed,
    wallMs: performance.now() - wallStart,
  };
}

// One cell of the SDK matrix: a row's client loads credentials for a scenario's pods, all at once, against a
// running agent and the EKS Auth emulator; the cell records what the client reported, how long it took, and
// what EKS Auth saw.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type AgentProcess, startAgentProcess, waitForVerified } from '../lib/agent.ts';
import { type EmulatorProcess, startEmulatorProcess } from '../lib/emulator.ts';
import { percentile } from '../lib/stats.ts';
import { type Outcome, podAddress } from './clients/job.ts';
import { startFlooder } from './flooder.ts';
import type { Row } from './rows.ts';
import type { Scenario } from './scenarios.ts';

export interface MatrixEnv {
  emulator: EmulatorProcess;
  agent: AgentProcess;
  stop(): Promise<void>;
}

/** How long a matrix agent may take to load the signing keys from the API-server stand-in. */
const KEYS_TIMEOUT_MS = 15_000;

export type Verdict = 'pass' | 'miss' | 'impossible';

export interface CellResult {
  row: string;
  scenario: string;
  pods: number;
  served: number;
  /** Pods any agent could have served within this client's window. */
  possible: number;
  verdict: Verdict;
  p50Ms: number;
  maxMs: number;
  /** Distinct errors the client reported, most frequent first, with counts. */
  errors: { error: string; count: number }[];
  /** EKS Auth AssumeRoleForPodIdentity calls during the cell (pods' and flooder's), and how many were throttled. */
  calls: number;
  throttled: number;
  flood?: Record<string, number>;
}

/**
 * The agent with its default flags (loopback bind and ports aside) in front of a fresh emulator, verifying
 * token signatures as on a node: its key source is the emulator's API-server stand-in, found the way a pod
 * finds the API server (KUBERNETES_SERVICE_HOST/PORT and the service-account mount). Ready once it verifies,
 * so no cell runs in the claims mode of an agent whose keys have not loaded yet.
 */
export async function startMatrixEnv(agentArgs: string[] = []): Promise<MatrixEnv> {
  const dir = mkdtempSync(join(tmpdir(), 'pia-sdk-matrix-sa-'));
  const serviceAccountDir = join(dir, 'serviceaccount');
  const cleanup = () => rmSync(dir, { recursive: true, force: true });
  let emulator: EmulatorProcess;
  try {
    emulator = await startEmulatorProcess({ kubeApiDir: serviceAccountDir });
  } catch (err) {
    cleanup();
    throw err;
  }
  try {
    const kube = emulator.kubeApi!;
    const agent = await startAgentProcess({
      emulatorUrl: emulator.url,
      defaultLimits: true,
      args: ['--service-account-dir', serviceAccountDir, ...agentArgs],
      env: { KUBERNETES_SERVICE_HOST: kube.host, KUBERNETES_SERVICE_PORT: String(kube.port) },
    });
    try {
      await waitForVerified(agent.readyUrl, KEYS_TIMEOUT_MS);
    } catch (err) {
      await agent.stop();
      throw err;
    }
    return {
      emulator,
      agent,
      async stop() {
        await agent.stop();
        await emulator.stop();
        cleanup();
      },
    };
  } catch (err) {
    await emulator.stop();
    cleanup();
    throw err;
  }
}

function distinctErrors(outcomes: Outcome[]): CellResult['errors'] {
  const counts = new Map<string, number>();
  for (const o of outcomes) if (!o.ok) counts.set(o.error ?? '?', (counts.get(o.error ?? '?') ?? 0) + 1);
  return [...counts].sort((a, b) => b[1] - a[1]).map(([error, count]) => ({ error, count }));
}

export function verdictOf(scenario: Scenario, served: number, possible: number): Verdict {
  if (scenario.expect === 'error') return served === 0 ? 'pass' : 'miss';
  if (possible === 0) return 'impossible';
  return served >= Math.ceil(scenario.passShare * possible) ? 'pass' : 'miss';
}

/**
 * With `traceFile` (the matrix's --trace), every EKS Auth call of the cell as the emulator saw it is written
 * there, and a model row's pods' attempts beside it (`<traceFile>.client.json`), on one epoch-ms scale.
 */
export async function runCell(
  env: MatrixEnv,
  row: Row,
  scenario: Scenario,
  traceFile?: string,
): Promise<CellResult> {
  const { emulator } = env;
  await emulator.resetFaults();
  await emulator.resetAssociations();
  const setup = await scenario.prepare(emulator);
  const dir = mkdtempSync(join(tmpdir(), 'pia-sdk-matrix-'));
  const tokenFiles = setup.tokens.map((token, i) => {
    const path = join(dir, `token-${i}`);
    writeFileSync(path, token);
    return path;
  });
  const before = await emulator.stats();
  if (traceFile) {
    await emulator.startTrace();
    process.env['PIA_CLIENT_TRACE'] = `${traceFile}.client.json`;
  }
  const flooder =
    setup.flood && startFlooder(env.agent.credentialsUrl, setup.flood.template, setup.flood.perSecond);
  // The flood runs a moment before the pods start, as it would on a node where it was already going.
  if (flooder) await Bun.sleep(1000);
  let outcomes: Outcome[];
  let flood: Record<string, number> | undefined;
  let recovery: ReturnType<typeof setTimeout> | undefined;
  try {
    const addresses = setup.tokens.map((_, i) => podAddress(setup.onePod ? 0 : i));
    // An outage that ends mid-cell: the pods' times then include how long after the recovery they were served.
    recovery =
      setup.recoverAfterMs === undefined
        ? undefined
        : setTimeout(() => void emulator.resetFaults(), setup.recoverAfterMs);
    outcomes = await row.run({ url: env.agent.credentialsUrl, tokens: setup.tokens, tokenFiles, addresses });
  } finally {
    clearTimeout(recovery);
    flood = await flooder?.stop();
    rmSync(dir, { recursive: true, force: true });
    await emulator.resetFaults();
  }
  const after = await emulator.stats();
  if (traceFile) {
    delete process.env['PIA_CLIENT_TRACE'];
    writeFileSync(traceFile, JSON.stringify(await emulator.traceCalls()));
  }
  const pods = outcomes.length;
  const served = outcomes.filter((o) => o.ok).length;
  const possible = scenario.possible(row, pods);
  const times = outcomes.map((o) => o.ms);
  return {
    row: row.id,
    scenario: scenario.id,
    pods,
    served,
    possible,
    verdict: verdictOf(scenario, served, possible),
    p50Ms: percentile(times, 50),
    maxMs: Math.max(...times),
    errors: distinctErrors(outcomes),
    calls: after.assumeRoleCalls - before.assumeRoleCalls,
    throttled: after.throttled - before.throttled,
    ...(flood && { flood }),
  };
}

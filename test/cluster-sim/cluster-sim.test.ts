// The cluster simulator drives this project's real credential path: changing an agent flag that feeds the
// refresher and entry timing changes what the simulated cluster sends EKS Auth, runs are deterministic, and
// the modelled EKS Auth's outages and limits show up in the output.
import { describe, expect, test } from 'bun:test';
import { runScenario } from '../../bench/cluster-sim/cluster.ts';
import { publicAgentPolicy } from '../../bench/cluster-sim/public-agent-model.ts';
import { realAgentPolicy } from '../../bench/cluster-sim/real-agent.ts';
import { figures, markdownTable, svgPlot } from '../../bench/cluster-sim/report.ts';
import type { Scenario } from '../../bench/cluster-sim/scenario.ts';

const small: Scenario = {
  name: 'small',
  description: '4 nodes, Deployments and Jobs, 8 h',
  duration: '8h',
  nodes: 4,
  workloads: [
    { kind: 'deployment', perNode: 10, meanLife: '24h' },
    { kind: 'job', perNodePerHour: 6, run: '5m' },
  ],
  sdkMix: { botocore: 1, 'java-v2': 1, 'go-v2': 1 },
  eksAuth: { ratePerSecond: 50 },
};

describe('cluster simulator', () => {
  test('the same scenario gives the same output twice', async () => {
    const a = await runScenario(small, realAgentPolicy());
    const b = await runScenario(small, realAgentPolicy());
    expect(a.recorder.totals.calls).toBeGreaterThan(0);
    expect(b.recorder.totals).toEqual(a.recorder.totals);
    expect(Array.from(b.recorder.series.calls)).toEqual(Array.from(a.recorder.series.calls));
  });

  test("a change in the refresher's policy changes the calls the cluster makes", async () => {
    const base = await runScenario(small, realAgentPolicy());
    // Renewal after min(retention, 3/4 of the lifetime): 20 min instead of 3 h.
    const eager = await runScenario(
      small,
      realAgentPolicy(['--max-credential-retention-before-renewal', '20m']),
    );
    const slowRefresher = await runScenario(small, realAgentPolicy(['--max-service-qps', '0.001']));
    expect(eager.recorder.totals.calls).toBeGreaterThan(base.recorder.totals.calls);
    // Renewals starved: fewer background calls, and pods' SDKs find stale entries and miss instead.
    expect(slowRefresher.recorder.totals.calls).not.toBe(base.recorder.totals.calls);
    // Every pod still got credentials within the run in all three.
    for (const r of [base, eager, slowRefresher]) expect(r.recorder.totals.sdkFailures).toBe(0);
  });

  test('with caching disabled every request is a call; with it, hits are served from the cache', async () => {
    const cached = await runScenario(small, realAgentPolicy());
    const uncached = await runScenario(small, realAgentPolicy(['--max-cache-size', '0']));
    expect(uncached.recorder.totals.sdkRequests).toBeGreaterThan(0);
    expect(uncached.recorder.totals.calls).toBe(uncached.recorder.totals.sdkRequests);
    expect(uncached.recorder.totals.deadPodCalls).toBe(0);
    // Cached: some requests are hits (no call), and renewals are calls no request made.
    expect(cached.recorder.totals.calls).not.toBe(cached.recorder.totals.sdkRequests);
    expect(cached.recorder.totals.deadPodCalls).toBeGreaterThan(0);
  });

  test('an outage leaves new pods without credentials while it lasts, and they recover after it', async () => {
    const scenario: Scenario = {
      ...small,
      name: 'outage',
      duration: '1h',
      events: [{ type: 'outage', at: '20m', for: '10m' }],
    };
    const run = await runScenario(scenario, realAgentPolicy());
    const { noCreds, failed } = run.recorder.series;
    expect(failed.slice(20 * 60, 30 * 60).reduce((s, v) => s + v, 0)).toBeGreaterThan(0);
    expect(Math.max(...noCreds.slice(25 * 60, 30 * 60))).toBeGreaterThan(0);
    // Five minutes after the outage every pod holds credentials again.
    expect(Math.max(...noCreds.slice(35 * 60, 60 * 60))).toBeLessThan(1);
  });

  test("the public agent's modelled policy keeps renewing dead pods' credentials; this agent renews once", async () => {
    const ours = figures(await runScenario(small, realAgentPolicy()));
    const theirs = figures(await runScenario(small, publicAgentPolicy()));
    expect(ours.deadPodCallsPerDeadPod).toBeLessThanOrEqual(1);
    expect(theirs.deadPodCallsPerDeadPod).toBeGreaterThan(ours.deadPodCallsPerDeadPod);
    const table = markdownTable([ours, theirs]);
    expect(table).toContain('public agent (model)');
  });

  test('a throttled mass start: calls beyond the admitted rate are throttled, and it shows in the plot', async () => {
    const storm: Scenario = {
      ...small,
      name: 'storm',
      duration: '10m',
      nodes: 20,
      workloads: [{ kind: 'cronjob', count: 400, every: '1h', run: '2m', at: '1m' }],
      eksAuth: { ratePerSecond: 20, burst: 20 },
    };
    const run = await runScenario(storm, realAgentPolicy());
    expect(run.recorder.totals.throttled).toBeGreaterThan(0);
    expect(run.recorder.totals.admitted).toBeGreaterThanOrEqual(400);
    const svg = svgPlot([run]);
    expect(svg.startsWith('<svg')).toBe(true);
    expect(svg).toContain('throttled calls per second');
  });
});

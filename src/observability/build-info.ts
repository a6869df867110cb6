// Sets pod_identity_build_info{version,runtime} 1, so dashboards can tell which build a node runs.
import { VERSION } from '../version.ts';
import type { AgentMetrics } from './metrics.ts';

export interface BuildInfo {
  version: string;
  runtime: string;
}

export function defaultBuildInfo(): BuildInfo {
  const bunVersion = typeof Bun === 'undefined' ? undefined : Bun.version;
  return { version: VERSION, runtime: bunVersion ? `bun ${bunVersion}` : `node ${process.versions.node}` };
}

/** Exactly one series: a second call replaces the first rather than adding another. */
export function setBuildInfo(
  metrics: Pick<AgentMetrics, 'buildInfo'>,
  info: Partial<BuildInfo> = {},
): BuildInfo {
  const full = { ...defaultBuildInfo(), ...info };
  metrics.buildInfo.reset();
  metrics.buildInfo.labels(full.version, full.runtime).set(1);
  return full;
}

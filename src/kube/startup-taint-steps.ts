// The steps of one --startup-taint run (startup-taint.ts holds the run's state and retry loop): the self-check
// wait, one read-and-patch of the node's taints, and the log lines that say how the run ended.
import type { Logger } from '../observability/logger.ts';
import type { KubeApiClient } from './api-client.ts';
import { getNodeTaints, matchesTaint, replaceNodeTaints, type TaintSelector } from './node-taints.ts';

/** One read and, if the taint is there, one patch. Resolves with the final state or throws KubeApiError. */
export async function attemptRemoval(
  client: KubeApiClient,
  nodeName: string,
  taint: TaintSelector,
  signal: AbortSignal,
): Promise<'removed' | 'absent' | 'kept'> {
  const node = await getNodeTaints(client, nodeName, signal);
  const remaining = node.taints.filter((t) => !matchesTaint(t, taint));
  if (remaining.length === node.taints.length) return 'absent';
  const after = await replaceNodeTaints(client, node, remaining, signal);
  // Someone (a mutating webhook) put it back in the same write: report it, do not fight.
  return after.taints.some((t) => matchesTaint(t, taint)) ? 'kept' : 'removed';
}

export function logOutcome(log: Logger, outcome: 'removed' | 'absent' | 'kept', attempts: number): void {
  if (outcome === 'removed') log.info({ attempts }, 'startup taint removed: the node accepts pods');
  else if (outcome === 'absent') log.info({ attempts }, 'startup taint not on the node; nothing to remove');
  else log.error({ attempts }, 'startup taint not removed: the API server accepted the patch but kept it');
}

export function logGivingUp(log: Logger, fields: Record<string, unknown>, retryable: boolean): void {
  log.error(
    fields,
    retryable
      ? 'startup taint not removed: giving up after repeated failures'
      : 'startup taint not removed: the API server refused',
  );
}

/** Repeats the self-check until it passes (true) or the signal aborts (false). */
export async function waitForSelfCheck(
  selfCheck: () => Promise<boolean>,
  sleep: (ms: number, signal: AbortSignal) => Promise<void>,
  intervalMs: number,
  signal: AbortSignal,
): Promise<boolean> {
  for (;;) {
    if (signal.aborted) return false;
    if (await selfCheck().catch(() => false)) return true;
    await sleep(intervalMs, signal);
  }
}

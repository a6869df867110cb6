// The agent's stop on SIGTERM: hand over kept-alive connections, stop background work, let in-flight
// requests finish (bounded by --shutdown-timeout), then release every part through its registered closer.
import type { Closers } from '../cli/shutdown.ts';
import type { Config } from '../config/server-config.ts';
import type { Refresher } from '../credentials/refresher.ts';
import type { ConnectionGuard } from '../http/connection-guard.ts';
import type { DataListeners } from '../http/listeners.ts';
import type { StartupTaintRemover } from '../kube/startup-taint.ts';
import type { Logger } from '../observability/logger.ts';
import { raceTimer } from '../shared/race-timer.ts';

export interface DrainParts {
  readonly config: Pick<Config, 'drainDelayMs' | 'shutdownTimeoutMs'>;
  readonly logger: Logger;
  readonly listeners: DataListeners;
  readonly refresher: Refresher;
  readonly startupTaint: StartupTaintRemover | undefined;
  readonly connectionGuard: ConnectionGuard;
  /** Every part's closer (listeners, side listeners, monitors, key source, client), run after the drain. */
  readonly closers: Closers;
  /** From here on the credentials handler tells clients the agent is draining. */
  readonly markDraining: () => void;
}

export async function drainAgent(parts: DrainParts): Promise<void> {
  const { config, logger, listeners } = parts;
  // Handover: the listeners stay open and every request is still served (misses too), but each answer ends
  // its connection. Kept-alive clients then reconnect, and in a rollout land on the new instance that shares
  // the port, instead of sending on an idle connection just as the drain closes it (a reset).
  if (config.drainDelayMs > 0) {
    listeners.closeAfterEachAnswer();
    logger.info({ drainDelayMs: config.drainDelayMs }, 'handing over: closing connections after each answer');
    await new Promise((resolve) => setTimeout(resolve, config.drainDelayMs));
  }
  parts.markDraining();
  parts.refresher.stop();
  parts.startupTaint?.stop();
  parts.connectionGuard.stop();
  const graceful = listeners.stop(false);
  const outcome = await raceTimer(
    graceful.then(() => 'drained' as const),
    config.shutdownTimeoutMs,
    () => 'timeout' as const,
  );
  if (outcome === 'timeout') {
    logger.warn(
      { timeoutMs: config.shutdownTimeoutMs },
      'shutdown timeout reached; closing open connections',
    );
    await listeners.stop(true);
  }
  await parts.closers.close();
  logger.info('agent stopped');
}

// The connection cap of the data listeners (see http/connection-guard.ts), with its log lines and gauge.
import type { Config } from '../config/server-config.ts';
import {
  createConnectionGuard,
  MAX_REQUEST_HEADER_BYTES,
  runtimeHeaderLimitBytes,
} from '../http/connection-guard.ts';
import type { DataListeners } from '../http/listeners.ts';
import type { Logger } from '../observability/logger.ts';
import type { Metrics } from '../observability/metrics.ts';
import { readMaxFds } from '../observability/process-metrics.ts';

/**
 * Stops the data listeners accepting while open descriptors are at the cap (see connection-guard.ts); and
 * says so when the runtime's header limit is larger than the one the memory bound assumes.
 */
export function guardConnections(config: Config, listeners: DataListeners, logger: Logger, metrics: Metrics) {
  const headerBytes = runtimeHeaderLimitBytes();
  if (headerBytes > MAX_REQUEST_HEADER_BYTES) {
    logger.warn(
      { maxHeaderBytes: headerBytes, expected: MAX_REQUEST_HEADER_BYTES },
      `request header limit is ${headerBytes} bytes; run bun with --max-http-header-size=${MAX_REQUEST_HEADER_BYTES} (the executable has it built in)`,
    );
  }
  const fdLimit = readMaxFds();
  const guard = createConnectionGuard({
    maxConnections: config.maxConnections,
    fdLimit,
    listeners,
    onChange(accepting, openFds, cap) {
      metrics.acceptingConnections.set(accepting ? 1 : 0);
      if (accepting) logger.info({ openFds, cap }, 'accepting connections again');
      else
        logger.warn(
          { openFds, cap },
          'open descriptors at the connection cap: new connections are refused until they fall',
        );
    },
    onError: (err) => logger.warn({ err: (err as Error).message }, 'connection guard check failed'),
  });
  if (guard.cap < config.maxConnections) {
    logger.warn(
      { fdLimit, maxConnections: config.maxConnections, cap: guard.cap },
      'the fd limit leaves less than --max-connections; the connection cap is the fd limit less a reserve',
    );
  }
  return guard;
}

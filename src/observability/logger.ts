// Structured JSON logs (pino) to stdout. Secrets are kept out by construction: callers log facts, never
// tokens or credentials, and censor-secrets.ts is a second line of defence for well-known field names.
import pino, { type DestinationStream, type Logger } from 'pino';
import type { LogLevel } from '../config/server-config.ts';
import { censorSecrets } from './censor-secrets.ts';

export type { Logger };

export function createLogger(level: LogLevel, destination?: DestinationStream): Logger {
  return pino(
    {
      level,
      base: { component: 'eks-pod-identity-agent' },
      timestamp: pino.stdTimeFunctions.isoTime,
      // Not pino's `redact`: see censor-secrets.ts for what it cost per line.
      formatters: { level: (label) => ({ level: label }), log: censorSecrets },
    },
    destination ?? pino.destination({ dest: 1, sync: false }),
  );
}

/** A logger that writes nothing, for tests and benches that do not read logs. */
export function createSilentLogger(): Logger {
  return pino({ level: 'silent' });
}

// Structured JSON logs (pino) to stdout. Secrets are kept out by construction: callers log facts, never
// tokens or credentials, and the redact list below is a second line of defence for well-known field names.
import pino, { type DestinationStream, type Logger } from 'pino';
import type { LogLevel } from '../config/server-config.ts';

export type { Logger };

const REDACT_PATHS = [
  'token',
  '*.token',
  'authorization',
  '*.authorization',
  'headers.authorization',
  'secretAccessKey',
  '*.secretAccessKey',
  'sessionToken',
  '*.sessionToken',
  'SecretAccessKey',
  '*.SecretAccessKey',
  'Token',
  '*.Token',
  'credentials',
  '*.credentials',
  // Added: header bags nested in a request object, capitalised spellings, and secrets one level deeper
  // (an error's cause, a response body) than the paths above reach.
  'Authorization',
  '*.Authorization',
  '*.headers.authorization',
  '*.headers.Authorization',
  'SessionToken',
  '*.SessionToken',
  'Credentials',
  '*.Credentials',
  '*.*.token',
  '*.*.Token',
  '*.*.sessionToken',
  '*.*.secretAccessKey',
  '*.*.SecretAccessKey',
];

export function createLogger(level: LogLevel, destination?: DestinationStream): Logger {
  return pino(
    {
      level,
      base: { component: 'eks-pod-identity-agent' },
      redact: { paths: REDACT_PATHS, censor: '[redacted]' },
      timestamp: pino.stdTimeFunctions.isoTime,
      formatters: { level: (label) => ({ level: label }) },
    },
    destination ?? pino.destination({ dest: 1, sync: false }),
  );
}

/** A logger that writes nothing, for tests and benches that do not read logs. */
export function createSilentLogger(): Logger {
  return pino({ level: 'silent' });
}

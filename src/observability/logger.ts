// Structured JSON logs to stdout, one line per event with the fields pino wrote before (level label, ISO time,
// component, a child's bindings, the caller's fields, msg), written by this small module instead of pino:
// pino and the node: streams it loads cost every agent ~1.6 MB of resident memory (bench/footprint.bench.ts)
// for what the agent uses of it. Secrets are kept out by construction: callers log facts, never tokens or
// credentials, and censor-secrets.ts is a second line of defence for well-known field names.
import type { LogLevel } from '../config/flag-values.ts';
import { censorSecrets } from './censor-secrets.ts';

/** Where lines go: anything with `write(line)` (a test's array, a node Writable); stdout by default. */
export interface LogDestination {
  write(line: string): unknown;
}

export interface LogFn {
  (fields: object, msg?: string): void;
  (msg: string): void;
}

export interface Logger {
  readonly trace: LogFn;
  readonly debug: LogFn;
  readonly info: LogFn;
  readonly warn: LogFn;
  readonly error: LogFn;
  readonly fatal: LogFn;
  /** A logger whose lines carry these fields too (after component, before the line's own). */
  child(bindings: object): Logger;
  /** Writes out what the destination buffers (stdout writes each line at once; kept for callers and tests). */
  flush(): void;
}

const LEVELS = ['trace', 'debug', 'info', 'warn', 'error', 'fatal'] as const;
type Level = (typeof LEVELS)[number];
const BASE = '"component":"eks-pod-identity-agent"';

/** Errors as pino's serializer wrote them (JSON.stringify would write `{}`): type, message, stack, own fields. */
function serialiseErrors(_key: string, value: unknown): unknown {
  if (!(value instanceof Error)) return value;
  return Object.assign(
    { type: value.constructor?.name ?? value.name, message: value.message, stack: value.stack },
    value,
    value.cause === undefined ? {} : { cause: value.cause },
  );
}

/** `"a":1,"b":"x"` (no braces) for an object's fields, or undefined when it has none. */
function fieldsJson(fields: object): string | undefined {
  let json: string;
  try {
    json = JSON.stringify(censorSecrets(fields), serialiseErrors);
  } catch (err) {
    // Circular or BigInt fields: the line is still written, without them.
    json = JSON.stringify({ logFieldsDropped: (err as Error).message });
  }
  return json.length > 2 ? json.slice(1, -1) : undefined;
}

let stdout: (LogDestination & { flush(): void }) | undefined;

/** One sink on fd 1 for every logger of the process. */
function stdoutDestination(): LogDestination & { flush(): void } {
  if (stdout !== undefined) return stdout;
  const sink = Bun.stdout.writer();
  // A line that cannot be written (stdout closed: EPIPE) is dropped: logging must never throw into its caller,
  // such as the SIGTERM handler that starts the drain (it did, and the agent never stopped).
  const attempt = (write: () => unknown) => {
    try {
      const pending = write();
      if (pending instanceof Promise) pending.catch(noop);
    } catch {
      // Dropped; see above.
    }
  };
  stdout = {
    write(line) {
      // Each line goes out now: a crash or a SIGKILL after it never loses it to a buffer.
      attempt(() => {
        sink.write(line);
        return sink.flush();
      });
    },
    flush() {
      attempt(() => sink.flush());
    },
  };
  return stdout;
}

function noop(): void {}

function build(level: LogLevel, out: LogDestination, prefix: string): Logger {
  const threshold = level === 'silent' ? LEVELS.length : LEVELS.indexOf(level as Level);
  // Chosen once: a level below the threshold is a function that does nothing.
  const method = (name: Level, index: number): LogFn => {
    if (index < threshold) return noop;
    const head = `{"level":"${name}","time":"`;
    return (fieldsOrMsg: object | string, msg?: string) => {
      let line = `${head}${new Date().toISOString()}",${prefix}`;
      if (typeof fieldsOrMsg === 'string') msg = fieldsOrMsg;
      else {
        const fields = fieldsJson(fieldsOrMsg);
        if (fields !== undefined) line += `,${fields}`;
      }
      if (msg !== undefined) line += `,"msg":${JSON.stringify(msg)}`;
      out.write(`${line}}\n`);
    };
  };
  const [trace, debug, info, warn, error, fatal] = LEVELS.map(method) as [
    LogFn,
    LogFn,
    LogFn,
    LogFn,
    LogFn,
    LogFn,
  ];
  return {
    trace,
    debug,
    info,
    warn,
    error,
    fatal,
    child(bindings) {
      const fields = fieldsJson(bindings);
      return build(level, out, fields === undefined ? prefix : `${prefix},${fields}`);
    },
    flush() {
      (out as { flush?: () => void }).flush?.();
    },
  };
}

export function createLogger(level: LogLevel, destination?: LogDestination): Logger {
  return build(level, destination ?? stdoutDestination(), BASE);
}

/** A logger that writes nothing, for tests and benches that do not read logs. */
export function createSilentLogger(): Logger {
  return build('silent', { write: noop }, BASE);
}

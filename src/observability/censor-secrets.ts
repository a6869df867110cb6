// Replaces the values of secret-named fields (tokens, authorization headers, credentials) in an object about
// to be logged: the logger's second line of defence, since callers log facts, never secrets.
//
// Why not pino's `redact`: pino 10 runs its redactor (@pinojs/redact) on every field of every line once any
// path starts with a wildcard, re-parsing each path per call: the upstream observer's failure line cost 6-9x
// a line without secret handling (`npx bun bench/log-line.bench.ts`), and a line is written per EKS Auth
// attempt, so a storm of failing calls spent most of its main-thread time on it. This walk looks at each
// field once and copies only what it changes.

export const CENSORED = '[redacted]';

/** Field names whose values never reach a log line, at any depth up to MAX_DEPTH. */
const SECRET_FIELDS = new Set([
  'token',
  'Token',
  'authorization',
  'Authorization',
  'secretAccessKey',
  'SecretAccessKey',
  'sessionToken',
  'SessionToken',
  'credentials',
  'Credentials',
]);

/** Levels below the logged object that are looked at (the old redact list reached three). */
const MAX_DEPTH = 4;

type Fields = Record<string, unknown>;

function censorFields(source: object, depth: number): Fields | undefined {
  let copy: Fields | undefined;
  for (const key of Object.keys(source)) {
    const value = (source as Fields)[key];
    const censored = SECRET_FIELDS.has(key) ? CENSORED : censorValue(value, depth + 1);
    if (censored !== value) {
      copy ??= { ...source };
      copy[key] = censored;
    }
  }
  return copy;
}

function censorError(err: Error, depth: number): unknown {
  const fields = censorFields(err, depth);
  const cause = censorValue(err.cause, depth + 1);
  if (fields === undefined && cause === err.cause) return err;
  // A copy that is still an Error of the same class, with message, stack and cause as non-enumerable as in
  // the original, so pino's error serializer writes it as it would have written the original.
  const copy = Object.create(Object.getPrototypeOf(err)) as Error;
  Object.defineProperties(copy, {
    message: { value: err.message, writable: true, configurable: true },
    stack: { value: err.stack, writable: true, configurable: true },
    ...(err.cause === undefined ? {} : { cause: { value: cause, writable: true, configurable: true } }),
  });
  return Object.assign(copy, fields ?? { ...err });
}

function censorValue(value: unknown, depth: number): unknown {
  // Byte arrays are never walked (their indices are keys); nothing logged carries one.
  if (value === null || typeof value !== 'object' || depth > MAX_DEPTH || ArrayBuffer.isView(value))
    return value;
  if (value instanceof Error) return censorError(value, depth);
  if (Array.isArray(value)) {
    let copy: unknown[] | undefined;
    for (let i = 0; i < value.length; i++) {
      const censored = censorValue(value[i], depth + 1);
      if (censored !== value[i]) {
        copy ??= [...value];
        copy[i] = censored;
      }
    }
    return copy ?? value;
  }
  return censorFields(value, depth) ?? value;
}

/** The object to log: itself when it holds no secret-named field, else a copy with those values censored. */
export function censorSecrets<T extends object>(fields: T): T {
  return (censorFields(fields, 0) as T | undefined) ?? fields;
}

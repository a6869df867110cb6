// The error for bad flags or environment: one line naming the flag and the value; the CLI exits 2 on it.

export class ConfigError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ConfigError';
  }
}

const MAX_SHOWN_CHARS = 60;
/** JWT-shaped (base64url JSON header) or URL with userinfo: bearer secrets that must not reach stderr. */
const SECRET_LOOKING = /^eyJ[\w-]*\.|^[a-z][a-z0-9+.-]*:\/\/[^/?#]*@/i;

/** A user-supplied value as it may appear in an error: quoted, truncated, never a secret-looking one. */
export function showValue(value: string): string {
  if (SECRET_LOOKING.test(value)) return '<redacted>';
  const cut = value.length > MAX_SHOWN_CHARS ? `${value.slice(0, MAX_SHOWN_CHARS)}...` : value;
  // JSON quoting makes control characters visible and keeps the message on one line.
  return JSON.stringify(cut);
}

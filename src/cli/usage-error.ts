// The one usage error of every subcommand: bad flags, config file or environment. One line naming the flag
// and the value (shown through showValue, so never a secret); the CLI exits 2 on it.

export class UsageError extends Error {
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = 'UsageError';
  }
}

const MAX_SHOWN_CHARS = 60;
/** A JWT (base64url JSON header) anywhere, URL userinfo, or a secret-named query parameter. */
const SECRET_SHAPED =
  /eyJ[\w-]*\.[\w-]+|:\/\/[^/?#\s]*@|(token|signature|credential|password|secret)[^=&]*=/i;
/** A long base64 run mixing cases and digits: the shape of an AWS secret key or a session token. */
const LONG_BASE64_RUN = /[A-Za-z0-9+/]{32,}/g;

function looksSecret(value: string): boolean {
  if (SECRET_SHAPED.test(value)) return true;
  for (const [run] of value.matchAll(LONG_BASE64_RUN)) {
    if (/[a-z]/.test(run) && /[A-Z]/.test(run) && /\d/.test(run)) return true;
  }
  return false;
}

/** A user-supplied value as it may appear in an error: quoted, truncated, never a secret-looking one. */
export function showValue(value: string): string {
  if (looksSecret(value)) return '<redacted>';
  const cut = value.length > MAX_SHOWN_CHARS ? `${value.slice(0, MAX_SHOWN_CHARS)}...` : value;
  // JSON quoting makes control characters visible and keeps the message on one line.
  return JSON.stringify(cut);
}

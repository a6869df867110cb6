// Makes an upstream error message safe to show to pods and write to logs: no token-shaped text, one line,
// bounded length. EKS Auth may echo parts of the request, and a service-account JWT is a bearer credential.
//
// Whatever answers the EKS Auth call (a proxy, a hostile endpoint) chooses this text, so the work is bounded
// before anything else: the message is cut first, and every pattern below matches maximal runs of one
// character class (each character is looked at a constant number of times: linear). The previous
// token-shaped pattern backtracked over long runs without dots and took 1.1-1.5 s on 64,000 characters.

export const MAX_UPSTREAM_MESSAGE_CHARS = 256;
/** Only this much of a message is looked at: redaction shortens text, so a little more than is shown. */
export const MAX_UPSTREAM_MESSAGE_SCAN_CHARS = 4 * MAX_UPSTREAM_MESSAGE_CHARS;

// Runs of base64url characters and dots: where a JWS/JWT (three segments joined by dots) can hide.
const DOTTED_RUN = /[A-Za-z0-9_.-]+/g;
// Runs of base64 (standard and url alphabets): session tokens, secret keys, a lone JWT segment.
const BASE64_RUN = /[A-Za-z0-9+/=_-]+/g;
const LONG_BASE64_CHARS = 40;
/** Segments this long, three in a row, are a token even without the `eyJ` header prefix. */
const LONG_SEGMENT_CHARS = 16;
// Control characters (including newlines) would let a message forge extra log lines.
// biome-ignore lint/suspicious/noControlCharactersInRegex: matching control characters is the point
const CONTROL_CHARS = /[\u0000-\u001f\u007f]+/g;
const REDACTED = '[redacted]';

/**
 * A JWS/JWT: a JSON header always encodes to `eyJ...`, followed by a non-empty payload and a signature that
 * may be empty (unsigned tokens); otherwise three long segments in a row, so that hostnames such as
 * eks-auth.us-west-2.api.aws survive.
 */
function isTokenShaped(run: string): boolean {
  if (!run.includes('.')) return false;
  const segments = run.split('.');
  let longInARow = 0;
  for (let i = 0; i < segments.length; i++) {
    const segment = segments[i] as string;
    if (segment.startsWith('eyJ') && i + 2 < segments.length && segments[i + 1] !== '') return true;
    longInARow = segment.length >= LONG_SEGMENT_CHARS ? longInARow + 1 : 0;
    if (longInARow >= 3) return true;
  }
  return false;
}

function isTokenChar(code: number): boolean {
  return (
    (code >= 48 && code <= 57) || // 0-9
    (code >= 65 && code <= 90) || // A-Z
    (code >= 97 && code <= 122) || // a-z
    code === 43 || // +
    code === 45 || // -
    code === 46 || // .
    code === 47 || // /
    code === 61 || // =
    code === 95 // _
  );
}

/** Cuts to the scan window; a run of token characters that the cut splits is dropped, not shown in part. */
function cutForScan(raw: string): string {
  if (raw.length <= MAX_UPSTREAM_MESSAGE_SCAN_CHARS) return raw;
  let end = MAX_UPSTREAM_MESSAGE_SCAN_CHARS;
  if (isTokenChar(raw.charCodeAt(end))) {
    while (end > 0 && isTokenChar(raw.charCodeAt(end - 1))) end--;
  }
  return `${raw.slice(0, end)} `;
}

export function sanitizeUpstreamMessage(raw: string, maxChars = MAX_UPSTREAM_MESSAGE_CHARS): string {
  const cut = cutForScan(raw);
  const cleaned = cut
    .replace(CONTROL_CHARS, ' ')
    .replace(DOTTED_RUN, (run) => (isTokenShaped(run) ? REDACTED : run))
    .replace(BASE64_RUN, (run) => (run.length >= LONG_BASE64_CHARS ? REDACTED : run))
    .trim();
  // A message cut before the scan says so, like one cut here.
  const limit = cut.length < raw.length ? maxChars - 3 : maxChars;
  if (cleaned.length <= limit) return limit === maxChars ? cleaned : `${cleaned}...`;
  return `${cleaned.slice(0, maxChars - 3)}...`;
}

// Makes an upstream error message safe to show to pods and write to logs: no token-shaped text, one line,
// bounded length. EKS Auth may echo parts of the request, and a service-account JWT is a bearer credential.

export const MAX_UPSTREAM_MESSAGE_CHARS = 256;

// Three base64url segments joined by dots (a JWS/JWT). A JSON header always encodes to `eyJ...`, and then
// the signature may be empty (unsigned tokens); otherwise require long segments so that hostnames such as
// eks-auth.us-west-2.api.aws survive.
const JWT_SHAPED =
  /eyJ[A-Za-z0-9_-]*\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]*|[A-Za-z0-9_-]{16,}\.[A-Za-z0-9_-]{16,}\.[A-Za-z0-9_-]{16,}/g;
// Long base64 runs: session tokens, secret keys, a lone JWT segment.
const LONG_BASE64 = /[A-Za-z0-9+/=_-]{40,}/g;
// Control characters (including newlines) would let a message forge extra log lines.
// biome-ignore lint/suspicious/noControlCharactersInRegex: matching control characters is the point
const CONTROL_CHARS = /[\u0000-\u001f\u007f]+/g;

export function sanitizeUpstreamMessage(raw: string, maxChars = MAX_UPSTREAM_MESSAGE_CHARS): string {
  const cleaned = raw
    .replace(CONTROL_CHARS, ' ')
    .replace(JWT_SHAPED, '[redacted]')
    .replace(LONG_BASE64, '[redacted]')
    .trim();
  if (cleaned.length <= maxChars) return cleaned;
  return `${cleaned.slice(0, maxChars - 3)}...`;
}

// How a host is written beside a port (URLs, Host headers, messages): an IPv6 literal goes in brackets
// (RFC 3986), anything else as is. A wildcard bind address is reached through loopback.

/** Whether `host` is an IPv6 literal (bare or bracketed): only those contain a colon. */
export function isIPv6Literal(host: string): boolean {
  return host.includes(':');
}

/** `host` as it stands before `:port`: `[fd00:ec2::23]`, `169.254.170.23`; already-bracketed stays as is. */
export function bracketHost(host: string): string {
  return isIPv6Literal(host) && !host.startsWith('[') ? `[${host}]` : host;
}

/** `host:port`, with an IPv6 literal in brackets. */
export function hostPort(host: string, port: number | string): string {
  return `${bracketHost(host)}:${port}`;
}

/** The address a client on this host connects to for a listener bound to `host` (wildcards: loopback). */
export function reachableHost(host: string): string {
  if (host === '0.0.0.0' || host === '') return '127.0.0.1';
  if (host === '::' || host === '[::]') return '::1';
  return host;
}

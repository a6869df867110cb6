// The Host header must name one of the bind hosts (with or without the port): this is what stops a web page
// in a pod's browser from reaching the agent through DNS rebinding. Exact matches are a Set lookup; other
// spellings (upper-case hex, a trailing dot) are normalised on the slow path only.

export type HostCheck = (host: string | null) => boolean;

function bracket(host: string): string {
  return host.includes(':') ? `[${host}]` : host;
}

function normalise(value: string): string | undefined {
  let host = value.trim().toLowerCase();
  if (host.startsWith('[')) {
    const end = host.indexOf(']');
    if (end < 0) return undefined;
    const rest = host.slice(end + 1);
    if (rest !== '' && !/^:\d{1,5}$/.test(rest)) return undefined;
    host = host.slice(1, end);
  } else {
    const colon = host.lastIndexOf(':');
    if (colon >= 0) {
      if (host.indexOf(':') !== colon || !/^\d{1,5}$/.test(host.slice(colon + 1))) return undefined;
      host = host.slice(0, colon);
    }
  }
  if (host.endsWith('.')) host = host.slice(0, -1);
  return host;
}

/** Expands an IPv6 literal so that different spellings of one address compare equal. */
function canonicalIPv6(host: string): string {
  if (!host.includes(':')) return host;
  try {
    return new URL(`http://[${host}]/`).hostname.slice(1, -1);
  } catch {
    return host;
  }
}

export function createHostCheck(bindHosts: readonly string[], port: number): HostCheck {
  const exact = new Set<string>();
  const canonical = new Set<string>();
  for (const raw of bindHosts) {
    const host = raw.toLowerCase();
    const b = bracket(host);
    exact.add(b);
    exact.add(`${b}:${port}`);
    canonical.add(canonicalIPv6(host));
  }
  return (value) => {
    if (value === null) return false;
    if (exact.has(value)) return true;
    const host = normalise(value);
    return host !== undefined && canonical.has(canonicalIPv6(host));
  };
}

// The Host header must name one of the bind hosts, with no port or the port the request arrived on: this is
// what stops a web page in a pod's browser from reaching the agent through DNS rebinding. Exact matches are
// a Set lookup; other spellings (upper-case hex, a trailing dot, a port given when the configured one is 0)
// are normalised on the slow path only. Any other port (`:0`, `:99999`, another service's) is refused.

import { canonicalIPv6 } from '../shared/canonical-ipv6.ts';
import { bracketHost, hostPort } from '../shared/host-port.ts';

/** `port`: the port of the listener that received the request. */
export type HostCheck = (host: string | null, port: number) => boolean;

interface HostAndPort {
  host: string;
  port: number | undefined;
}

function normalise(value: string): HostAndPort | undefined {
  let host = value.trim().toLowerCase();
  let portText: string | undefined;
  if (host.startsWith('[')) {
    const end = host.indexOf(']');
    if (end < 0) return undefined;
    const rest = host.slice(end + 1);
    if (rest !== '' && !/^:\d{1,5}$/.test(rest)) return undefined;
    if (rest !== '') portText = rest.slice(1);
    host = host.slice(1, end);
  } else {
    const colon = host.lastIndexOf(':');
    if (colon >= 0) {
      portText = host.slice(colon + 1);
      if (host.indexOf(':') !== colon || !/^\d{1,5}$/.test(portText)) return undefined;
      host = host.slice(0, colon);
    }
  }
  if (host.endsWith('.')) host = host.slice(0, -1);
  return { host, port: portText === undefined ? undefined : Number(portText) };
}

export function createHostCheck(bindHosts: readonly string[], port: number): HostCheck {
  const exact = new Set<string>();
  const canonical = new Set<string>();
  for (const raw of bindHosts) {
    const host = raw.toLowerCase();
    exact.add(bracketHost(host));
    if (port > 0) exact.add(hostPort(host, port));
    canonical.add(canonicalIPv6(host));
  }
  return (value, listenerPort) => {
    if (value === null) return false;
    if (exact.has(value)) return true;
    const parsed = normalise(value);
    if (parsed === undefined || (parsed.port !== undefined && parsed.port !== listenerPort)) return false;
    return canonical.has(canonicalIPv6(parsed.host));
  };
}

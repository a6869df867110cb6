// Chooses the proxy for an EKS Auth URL from HTTPS_PROXY / HTTP_PROXY / NO_PROXY, with the semantics of
// Go's x/net/http/httpproxy (what the public agent and most tooling use). We decide ourselves and hand Bun's
// fetch an explicit answer (`proxy: false` or `{url, respectNoProxy: false}`), so the result does not
// depend on which environment variables Bun's fetch happens to read, and tests can pass their own env.

export interface ProxyEnv {
  readonly [name: string]: string | undefined;
}

function envValue(env: ProxyEnv, name: string): string | undefined {
  const value = env[name.toUpperCase()] ?? env[name.toLowerCase()];
  return value === undefined || value.trim() === '' ? undefined : value.trim();
}

function stripBrackets(host: string): string {
  return host.startsWith('[') && host.endsWith(']') ? host.slice(1, -1) : host;
}

function ipv4ToInt(ip: string): number | undefined {
  const parts = ip.split('.');
  if (parts.length !== 4) return undefined;
  let n = 0;
  for (const p of parts) {
    if (!/^\d{1,3}$/.test(p) || Number(p) > 255) return undefined;
    n = n * 256 + Number(p);
  }
  return n;
}

function inIpv4Cidr(host: string, cidr: string): boolean {
  const [base, bitsText] = cidr.split('/');
  const bits = Number(bitsText);
  const hostInt = ipv4ToInt(host);
  const baseInt = ipv4ToInt(base ?? '');
  if (hostInt === undefined || baseInt === undefined || !Number.isInteger(bits) || bits < 0 || bits > 32) {
    return false;
  }
  const size = 2 ** (32 - bits);
  return Math.floor(hostInt / size) === Math.floor(baseInt / size);
}

function isLoopback(host: string): boolean {
  return host === 'localhost' || host === '::1' || host.startsWith('127.');
}

/** One NO_PROXY entry: `*`, `host`, `.domain`, `*.domain`, `host:port`, an IP, or an IPv4 CIDR. */
function matchesEntry(entry: string, host: string, port: string): boolean {
  if (entry === '*') return true;
  if (entry.includes('/')) return inIpv4Cidr(host, entry);
  let name = entry;
  let entryPort = '';
  const portMatch = /^(\[[^\]]+\]|[^:]+):(\d+)$/.exec(entry);
  if (portMatch) {
    name = portMatch[1] ?? '';
    entryPort = portMatch[2] ?? '';
  }
  if (entryPort !== '' && entryPort !== port) return false;
  name = stripBrackets(name).toLowerCase();
  if (name.startsWith('*.')) name = name.slice(1);
  if (name.startsWith('.')) return host.endsWith(name) || host === name.slice(1);
  // A bare domain matches itself and its subdomains, as in Go and curl.
  return host === name || host.endsWith(`.${name}`);
}

/** The proxy URL to use for `target`, or undefined to connect directly. Loopback is never proxied. */
export function resolveProxy(target: URL, env: ProxyEnv): string | undefined {
  const host = stripBrackets(target.hostname).toLowerCase();
  if (isLoopback(host)) return undefined;
  const proxy = target.protocol === 'https:' ? envValue(env, 'https_proxy') : envValue(env, 'http_proxy');
  if (proxy === undefined) return undefined;
  const port = target.port || (target.protocol === 'https:' ? '443' : '80');
  const noProxy = envValue(env, 'no_proxy') ?? '';
  for (const raw of noProxy.split(',')) {
    const entry = raw.trim();
    if (entry !== '' && matchesEntry(entry, host, port)) return undefined;
  }
  // Go accepts a scheme-less proxy ("proxy:3128") as http://.
  return /^[a-z][a-z0-9+.-]*:\/\//i.test(proxy) ? proxy : `http://${proxy}`;
}

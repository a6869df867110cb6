// One text form per IPv6 address, so spellings that differ in case, leading zeros or `::` compression compare
// equal (the kernel's `ip -j addr`, a Host header, a bind flag). Anything that is not an IPv6 literal is only
// lower-cased.

/** The RFC 5952 form of an IPv6 literal (without brackets), through the URL parser; others lower-cased. */
export function canonicalIPv6(address: string): string {
  if (!address.includes(':')) return address.toLowerCase();
  try {
    return new URL(`http://[${address}]/`).hostname.slice(1, -1);
  } catch {
    return address.toLowerCase();
  }
}

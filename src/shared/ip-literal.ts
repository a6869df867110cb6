// Whether a string is an IPv4 or an IPv6 literal, answered as node:net's isIP answers, without node:net: under
// Bun that module is JavaScript that every agent would load at start for this one question (~0.4 MB of resident
// memory in the executable, README footprint (10)). test/shared/ip-literal.test.ts holds the two to the same
// answers.

/** RFC 3986 dec-octet: 0-255 in decimal, no leading zero. */
const DEC_OCTET = /^(?:25[0-5]|2[0-4]\d|1\d\d|[1-9]\d|\d)$/;
/** One IPv6 group: 1 to 4 hex digits. */
const HEX_GROUP = /^[0-9A-Fa-f]{1,4}$/;
/** What node:net accepts after `%` as an IPv6 zone (scope) ID. */
const ZONE = /^[0-9A-Za-z.:-]+$/;

/** A dotted-quad IPv4 literal: four decimal octets, nothing else. */
function isIPv4Literal(text: string): boolean {
  const parts = text.split('.');
  return parts.length === 4 && parts.every((p) => DEC_OCTET.test(p));
}

/**
 * An IPv6 literal without brackets: eight groups, or fewer around one `::` (which stands for at least one),
 * the last two of which may be written as an IPv4 literal; then optionally `%` and a zone ID.
 */
function isIPv6Literal(text: string): boolean {
  const percent = text.indexOf('%');
  if (percent >= 0 && !ZONE.test(text.slice(percent + 1))) return false;
  const address = percent < 0 ? text : text.slice(0, percent);
  const halves = address.split('::');
  if (halves.length > 2) return false;
  const groupsOf = (half: string) => (half === '' ? [] : half.split(':'));
  const head = groupsOf(halves[0] as string);
  const tail = halves.length === 2 ? groupsOf(halves[1] as string) : [];
  const written = [...head, ...tail];
  // Only the group written last may be an IPv4 literal ("1.2.3.4::" is not an address).
  const v4At = halves.length === 2 && tail.length === 0 ? -1 : written.length - 1;
  let groups = 0;
  for (let i = 0; i < written.length; i++) {
    const part = written[i] as string;
    if (HEX_GROUP.test(part)) groups += 1;
    else if (i === v4At && isIPv4Literal(part)) groups += 2;
    else return false;
  }
  return halves.length === 2 ? groups <= 7 : groups === 8;
}

/** 4 for an IPv4 literal, 6 for an IPv6 literal (no brackets; a zone allowed), 0 for anything else. */
export function ipVersion(text: string): 0 | 4 | 6 {
  if (isIPv4Literal(text)) return 4;
  return text.includes(':') && isIPv6Literal(text) ? 6 : 0;
}

// A throwaway certificate authority for the API-server stand-in: a P-256 CA and a server certificate for
// loopback names, encoded as X.509 DER by hand (node:crypto signs but cannot build certificates, and the
// emulator must run with nothing but npm's packages). Only what TLS clients check is encoded: names,
// validity, basic constraints, key usage, extended key usage, subject alternative names, key identifiers.
import { createHash, generateKeyPairSync, type KeyObject, randomBytes, sign } from 'node:crypto';
import { isIPv4, isIPv6 } from 'node:net';

export interface IssuedCertificate {
  /** PEM certificate. */
  readonly certPem: string;
  /** PEM PKCS#8 private key. */
  readonly keyPem: string;
}

export interface TestCertificateAuthority extends IssuedCertificate {
  /** A server certificate for these DNS names and IP addresses, signed by this CA. */
  issueServerCertificate(names: readonly string[]): IssuedCertificate;
}

// --- DER, the few types a certificate uses ---
function tlv(tag: number, content: Buffer): Buffer {
  const n = content.length;
  let length: Buffer;
  if (n < 0x80) length = Buffer.from([n]);
  else {
    const bytes: number[] = [];
    for (let v = n; v > 0; v >>= 8) bytes.unshift(v & 0xff);
    length = Buffer.from([0x80 | bytes.length, ...bytes]);
  }
  return Buffer.concat([Buffer.from([tag]), length, content]);
}
const seq = (...items: Buffer[]) => tlv(0x30, Buffer.concat(items));
const set = (...items: Buffer[]) => tlv(0x31, Buffer.concat(items));
const explicit = (n: number, inner: Buffer) => tlv(0xa0 + n, inner);
const octets = (b: Buffer) => tlv(0x04, b);
const bits = (b: Buffer, unusedBits = 0) => tlv(0x03, Buffer.concat([Buffer.from([unusedBits]), b]));
const utf8 = (s: string) => tlv(0x0c, Buffer.from(s, 'utf8'));
const TRUE = tlv(0x01, Buffer.from([0xff]));

function integer(bytes: Buffer): Buffer {
  let b = bytes;
  while (b.length > 1 && b[0] === 0 && (b[1]! & 0x80) === 0) b = b.subarray(1);
  return tlv(0x02, (b[0]! & 0x80) !== 0 ? Buffer.concat([Buffer.from([0]), b]) : b);
}

function oid(dotted: string): Buffer {
  const parts = dotted.split('.').map(Number);
  const out: number[] = [40 * parts[0]! + parts[1]!];
  for (const part of parts.slice(2)) {
    const chunk: number[] = [part & 0x7f];
    for (let v = part >>> 7; v > 0; v >>>= 7) chunk.unshift(0x80 | (v & 0x7f));
    out.push(...chunk);
  }
  return tlv(0x06, Buffer.from(out));
}

/** UTCTime covers 1950-2049, enough for certificates that live as long as an emulator. */
function utcTime(ms: number): Buffer {
  const d = new Date(ms);
  const two = (n: number) => String(n).padStart(2, '0');
  const text = `${two(d.getUTCFullYear() % 100)}${two(d.getUTCMonth() + 1)}${two(d.getUTCDate())}${two(
    d.getUTCHours(),
  )}${two(d.getUTCMinutes())}${two(d.getUTCSeconds())}Z`;
  return tlv(0x17, Buffer.from(text, 'ascii'));
}

const OID = {
  commonName: '2.5.4.3',
  ecdsaWithSha256: '1.2.840.10045.4.3.2',
  subjectKeyIdentifier: '2.5.29.14',
  keyUsage: '2.5.29.15',
  subjectAltName: '2.5.29.17',
  basicConstraints: '2.5.29.19',
  authorityKeyIdentifier: '2.5.29.35',
  extKeyUsage: '2.5.29.37',
  serverAuth: '1.3.6.1.5.5.7.3.1',
} as const;

const name = (cn: string) => seq(set(seq(oid(OID.commonName), utf8(cn))));
const extension = (id: string, critical: boolean, value: Buffer) =>
  critical ? seq(oid(id), TRUE, octets(value)) : seq(oid(id), octets(value));

function ipBytes(ip: string): Buffer {
  if (isIPv4(ip)) return Buffer.from(ip.split('.').map(Number));
  // Expand "::" and write eight 16-bit groups.
  const [head, tail] = ip.includes('::') ? ip.split('::') : [ip, undefined];
  const h = head ? head.split(':') : [];
  const t = tail ? tail.split(':') : [];
  const groups = tail === undefined ? h : [...h, ...Array(8 - h.length - t.length).fill('0'), ...t];
  return Buffer.concat(
    groups.map((g) => Buffer.from([(parseInt(g, 16) >> 8) & 0xff, parseInt(g, 16) & 0xff])),
  );
}

function subjectAltNames(names: readonly string[]): Buffer {
  return seq(
    ...names.map((n) =>
      isIPv4(n) || isIPv6(n) ? tlv(0x87, ipBytes(n)) : tlv(0x82, Buffer.from(n, 'ascii')),
    ),
  );
}

function keyIdentifier(spki: Buffer): Buffer {
  return createHash('sha1').update(spki).digest();
}

interface Signer {
  readonly privateKey: KeyObject;
  readonly subject: Buffer;
  readonly keyId: Buffer;
}

function certificate(
  issuer: Signer | undefined,
  self: { subject: Buffer; publicKey: KeyObject; privateKey: KeyObject },
  extensions: Buffer[],
  lifetimeMs: number,
): Buffer {
  const spki = self.publicKey.export({ type: 'spki', format: 'der' });
  const algorithm = seq(oid(OID.ecdsaWithSha256));
  const signer: Signer = issuer ?? {
    privateKey: self.privateKey,
    subject: self.subject,
    keyId: keyIdentifier(spki),
  };
  const now = Date.now();
  const tbs = seq(
    explicit(0, integer(Buffer.from([2]))),
    integer(randomBytes(16)),
    algorithm,
    signer.subject,
    // Back-dated an hour: a client whose clock is a little behind still accepts it.
    seq(utcTime(now - 3_600_000), utcTime(now + lifetimeMs)),
    self.subject,
    spki,
    explicit(
      3,
      seq(
        ...extensions,
        extension(OID.subjectKeyIdentifier, false, octets(keyIdentifier(spki))),
        extension(OID.authorityKeyIdentifier, false, seq(tlv(0x80, signer.keyId))),
      ),
    ),
  );
  return seq(tbs, algorithm, bits(sign('sha256', tbs, signer.privateKey)));
}

function pem(label: string, der: Buffer): string {
  const lines = der.toString('base64').match(/.{1,64}/g) ?? [];
  return `-----BEGIN ${label}-----\n${lines.join('\n')}\n-----END ${label}-----\n`;
}

const keyPem = (k: KeyObject) => k.export({ type: 'pkcs8', format: 'pem' }).toString();

const ONE_YEAR_MS = 365 * 86_400_000;

/** A new CA, valid for a year, whose key exists only in this process. */
export function createTestCertificateAuthority(
  commonName = 'emulated-kubernetes-ca',
): TestCertificateAuthority {
  const { publicKey, privateKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  const subject = name(commonName);
  const spki = publicKey.export({ type: 'spki', format: 'der' });
  const caDer = certificate(
    undefined,
    { subject, publicKey, privateKey },
    [
      extension(OID.basicConstraints, true, seq(TRUE)),
      // keyCertSign (bit 5) and cRLSign (bit 6).
      extension(OID.keyUsage, true, bits(Buffer.from([0x06]), 1)),
    ],
    ONE_YEAR_MS,
  );
  const ca: Signer = { privateKey, subject, keyId: keyIdentifier(spki) };
  return {
    certPem: pem('CERTIFICATE', caDer),
    keyPem: keyPem(privateKey),
    issueServerCertificate(names) {
      if (names.length === 0) throw new TypeError('a server certificate needs at least one name');
      const leaf = generateKeyPairSync('ec', { namedCurve: 'P-256' });
      const der = certificate(
        ca,
        { subject: name(names[0]!), publicKey: leaf.publicKey, privateKey: leaf.privateKey },
        [
          extension(OID.basicConstraints, true, seq()),
          // digitalSignature (bit 0).
          extension(OID.keyUsage, true, bits(Buffer.from([0x80]), 7)),
          extension(OID.extKeyUsage, false, seq(oid(OID.serverAuth))),
          extension(OID.subjectAltName, false, subjectAltNames(names)),
        ],
        ONE_YEAR_MS,
      );
      return { certPem: pem('CERTIFICATE', der), keyPem: keyPem(leaf.privateKey) };
    },
  };
}

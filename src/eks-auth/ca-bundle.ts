// AWS_CA_BUNDLE, as the AWS SDKs read it: a PEM file whose certificates replace the system's trust store for
// AWS calls (the public chart mounts one for the iso partitions). Read once at start; a file that cannot be
// used is a start error naming it, never a silent fall back to the system's CAs.
import { readFileSync } from 'node:fs';

/** A CA bundle is a few hundred KB at most; anything far larger is not one. */
const MAX_BUNDLE_BYTES = 4 * 1024 * 1024;
const PEM_CERTIFICATE = '-----BEGIN CERTIFICATE-----';

export function readCaBundle(path: string): string {
  let text: string;
  try {
    const bytes = readFileSync(path);
    if (bytes.length > MAX_BUNDLE_BYTES) throw Object.assign(new Error('too large'), { code: 'EFBIG' });
    text = bytes.toString('utf8');
  } catch (err) {
    const code = (err as { code?: string }).code ?? 'unreadable';
    throw new Error(`cannot read AWS_CA_BUNDLE ${JSON.stringify(path)}: ${code}`, { cause: err });
  }
  if (!text.includes(PEM_CERTIFICATE)) {
    throw new Error(`AWS_CA_BUNDLE ${JSON.stringify(path)} holds no PEM certificate`);
  }
  return text;
}

// Piscina worker entry: one JWS signature check per task. Kept to a single import (see verify-signature.ts).
import { type SignatureResult, type SignatureTask, verifySignature } from './verify-signature.ts';

export default function verifyInWorker(task: SignatureTask): SignatureResult {
  return verifySignature(task);
}

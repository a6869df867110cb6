// What crosses between the main thread and a signature worker: one check as a flat array of strings (and its
// id), one answer as [id, result]. Structured cloning walks an object that holds the JWK as an object on every
// postMessage; an array of strings (the JWK as its JSON, serialised once per key) is copied flat. That cost is
// paid on every miss, on the thread that answers cached pods.
import type { PublicJwk, SignatureResult, SignatureTask } from './verify-signature.ts';

export type VerifyRequest = readonly [
  id: number,
  alg: string,
  keyId: string,
  jwkJson: string,
  signingInput: string,
  signature: string,
];

/** `result` is absent only when the check threw, which verifySignature never does on well-formed tasks. */
export type VerifyReply = readonly [id: number, result?: SignatureResult];

/** Each key's JSON, made once: key sets hold the same JWK objects for as long as they are current. */
const jwkJsonOf = new WeakMap<PublicJwk, string>();

export function encodeRequest(id: number, task: SignatureTask): VerifyRequest {
  let jwkJson = jwkJsonOf.get(task.jwk);
  if (jwkJson === undefined) {
    jwkJson = JSON.stringify(task.jwk);
    jwkJsonOf.set(task.jwk, jwkJson);
  }
  return [id, task.alg, task.keyId, jwkJson, task.signingInput, task.signature];
}

const MAX_PARSED_KEYS = 256;
/** Worker side: each key's JWK parsed once per keyId (unique per key material), bounded like the key cache. */
const parsedJwks = new Map<string, PublicJwk>();

export function decodeRequest(request: VerifyRequest): SignatureTask {
  const [, alg, keyId, jwkJson, signingInput, signature] = request;
  let jwk = parsedJwks.get(keyId);
  if (jwk === undefined) {
    jwk = JSON.parse(jwkJson) as PublicJwk;
    if (parsedJwks.size >= MAX_PARSED_KEYS) parsedJwks.clear();
    parsedJwks.set(keyId, jwk);
  }
  return { alg, keyId, jwk, signingInput, signature };
}

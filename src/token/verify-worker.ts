// Worker-thread entry of the signature pool: answers each { id, task } message with { id, result }.
//
// Imports only node:worker_threads and the pure check, so a (replacement) worker starts quickly. Inside a
// `bun build --compile` executable this file is an extra entrypoint (scripts/build-executable.sh).
import { parentPort } from 'node:worker_threads';
import { type SignatureResult, type SignatureTask, verifySignature } from './verify-signature.ts';

export interface VerifyRequest {
  readonly id: number;
  readonly task: SignatureTask;
}

/** `result` is absent only when the check threw, which verifySignature never does on well-formed tasks. */
export interface VerifyReply {
  readonly id: number;
  readonly result?: SignatureResult;
}

const port = parentPort;
if (port) {
  port.on('message', (request: VerifyRequest) => {
    const id = request?.id ?? -1;
    let reply: VerifyReply;
    try {
      reply = { id, result: verifySignature(request.task) };
    } catch {
      // A malformed task must fail only itself, not crash the worker and every task queued on it.
      reply = { id };
    }
    port.postMessage(reply);
  });
}

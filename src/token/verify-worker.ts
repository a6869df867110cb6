// Worker-thread entry of the signature pool: answers each request with [id, result] (verify-wire.ts).
//
// Imports only node:worker_threads, the wire format and the pure check, so a (replacement) worker starts quickly. Inside a
// `bun build --compile` executable this file is an extra entrypoint (scripts/build-executable.sh).
import { parentPort } from 'node:worker_threads';
import { verifySignature } from './verify-signature.ts';
import { decodeRequest, type VerifyReply, type VerifyRequest } from './verify-wire.ts';

const port = parentPort;
if (port) {
  port.on('message', (request: VerifyRequest) => {
    const id = Array.isArray(request) && typeof request[0] === 'number' ? request[0] : -1;
    let reply: VerifyReply;
    try {
      reply = [id, verifySignature(decodeRequest(request))];
    } catch {
      // A malformed task must fail only itself, not crash the worker and every task queued on it.
      reply = [id];
    }
    port.postMessage(reply);
  });
}

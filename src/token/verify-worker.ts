// Worker-thread entry of the signature pool: answers each request with [id, result] (verify-wire.ts).
//
// A Web Worker (signature-pool.ts): it speaks through its global scope's onmessage and postMessage, and imports
// only the wire format and the pure check (no node:worker_threads, whose parentPort cost memory in every worker),
// so a (replacement) worker starts quickly and small. Inside a `bun build --compile` executable this file is an
// extra entrypoint (scripts/build-executable.sh).
import { verifySignature } from './verify-signature.ts';
import { decodeRequest, type VerifyReply, type VerifyRequest } from './verify-wire.ts';

/** The worker's global scope, as far as this file uses it (the DOM worker types are not in this project's lib). */
interface WorkerScope {
  onmessage: ((event: MessageEvent<VerifyRequest>) => void) | null;
  postMessage(reply: VerifyReply): void;
}

// Only inside a worker: imported on the main thread (a test, or a bundle that shares the module) it does nothing.
const scope = (globalThis as { self?: unknown }).self as WorkerScope | undefined;
if (scope && !Bun.isMainThread) {
  scope.onmessage = ({ data: request }) => {
    const id = Array.isArray(request) && typeof request[0] === 'number' ? request[0] : -1;
    let reply: VerifyReply;
    try {
      reply = [id, verifySignature(decodeRequest(request))];
    } catch {
      // A malformed task must fail only itself, not crash the worker and every task queued on it.
      reply = [id];
    }
    scope.postMessage(reply);
  };
}

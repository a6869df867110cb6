// A minimal HTTP/1.1 client on raw sockets for bursts: open N connections first, then send on all of them at
// once and time each answer. fetch pools and caps concurrent connections, which would hide a real burst.
import { connect, type Socket } from 'node:net';

export interface RawAnswer {
  status: number;
  /** Milliseconds from writing the request to the end of the response. */
  ms: number;
}

export function requestBytes(url: URL, headers: Record<string, string>, close = false): Buffer {
  const lines = [`GET ${url.pathname} HTTP/1.1`, `Host: ${url.host}`];
  for (const [k, v] of Object.entries(headers)) lines.push(`${k}: ${v}`);
  if (close) lines.push('Connection: close');
  return Buffer.from(`${lines.join('\r\n')}\r\n\r\n`);
}

/** `localAddress` picks the source address (127.0.0.x), so the agent sees distinct clients. */
export async function openSockets(url: URL, count: number, localAddress?: string): Promise<Socket[]> {
  const port = Number(url.port);
  return await Promise.all(
    Array.from(
      { length: count },
      () =>
        new Promise<Socket>((resolve, reject) => {
          const socket = connect({ host: url.hostname, port, localAddress }, () => resolve(socket));
          socket.setNoDelay(true);
          socket.once('error', reject);
        }),
    ),
  );
}

/** Resolves when one complete response (headers + Content-Length body) has arrived on the socket. */
function readResponse(socket: Socket, timeoutMs: number): Promise<number> {
  return new Promise((resolve, reject) => {
    let buf = Buffer.alloc(0);
    const timer = setTimeout(() => done(new Error(`no response within ${timeoutMs} ms`)), timeoutMs);
    const onData = (chunk: Buffer) => {
      buf = Buffer.concat([buf, chunk]);
      const end = buf.indexOf('\r\n\r\n');
      if (end < 0) return;
      const head = buf.subarray(0, end).toString('latin1');
      const length = Number(/content-length:\s*(\d+)/i.exec(head)?.[1] ?? 0);
      if (buf.length >= end + 4 + length) done(undefined, Number(head.slice(9, 12)));
    };
    const onError = (err: Error) => done(err);
    const onClose = () => done(new Error('connection closed before the response'));
    function done(err?: Error, status?: number) {
      clearTimeout(timer);
      socket.off('data', onData);
      socket.off('error', onError);
      socket.off('close', onClose);
      if (err) reject(err);
      else resolve(status!);
    }
    socket.on('data', onData);
    socket.once('error', onError);
    socket.once('close', onClose);
  });
}

/** Sends `request` on every socket as close together as possible; one answer per socket. */
export async function burst(sockets: Socket[], request: Buffer, timeoutMs = 10_000): Promise<RawAnswer[]> {
  const pending = sockets.map((socket) => {
    const answer = readResponse(socket, timeoutMs);
    const startedAt = performance.now();
    socket.write(request);
    return answer.then((status) => ({ status, ms: performance.now() - startedAt }));
  });
  return await Promise.all(pending);
}

export function closeSockets(sockets: Socket[]): void {
  for (const s of sockets) s.destroy();
}

/** One request on a fresh connection, like an SDK attempt; status 0 means a network error or timeout. */
export async function oneRequest(
  url: URL,
  headers: Record<string, string>,
  timeoutMs: number,
  localAddress?: string,
): Promise<RawAnswer> {
  const startedAt = performance.now();
  let sockets: Socket[] = [];
  try {
    sockets = await openSockets(url, 1, localAddress);
    const [answer] = await burst(sockets, requestBytes(url, headers, true), timeoutMs);
    return { status: answer!.status, ms: performance.now() - startedAt };
  } catch {
    return { status: 0, ms: performance.now() - startedAt };
  } finally {
    closeSockets(sockets);
  }
}

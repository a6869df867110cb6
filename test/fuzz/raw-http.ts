// Raw HTTP over a TCP socket, for requests fetch refuses to send: bytes the HTTP grammar forbids, unicode in
// headers, requests written slowly or never finished. Every wait is bounded.
import { connect, type Socket } from 'node:net';

export interface RawAnswer {
  /** Status of the first response line; 0 when the server closed (or stayed silent) without answering. */
  status: number;
  /** Everything the server sent (headers and body), as latin1 text. */
  text: string;
}

export interface RawOptions {
  /** Give up waiting for the answer after this long (the answer then counts as none). */
  timeoutMs?: number;
  /** Write the request in pieces of this many bytes, pausing between pieces. */
  chunkBytes?: number;
  pauseMs?: number;
  /** Source address of the connection (loopback aliases such as 127.0.0.2). */
  localAddress?: string;
  /** Half-close the connection after the last byte (the server then sees EOF instead of waiting). */
  endAfterWrite?: boolean;
}

export function openSocket(port: number, host = '127.0.0.1', localAddress?: string): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const socket = connect({ port, host, localAddress }, () => resolve(socket));
    socket.once('error', reject);
  });
}

/** Collects what the server sends until it closes, a full response has arrived, or the timeout. */
export function readAnswer(socket: Socket, timeoutMs: number): Promise<RawAnswer> {
  return new Promise((resolve) => {
    const chunks: Buffer[] = [];
    let settled = false;
    const finish = () => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      socket.destroy();
      const text = Buffer.concat(chunks).toString('latin1');
      const m = /^HTTP\/1\.[01] (\d{3})/.exec(text);
      resolve({ status: m ? Number(m[1]) : 0, text });
    };
    const timer = setTimeout(finish, timeoutMs);
    socket.on('data', (d: Buffer) => {
      chunks.push(d);
      if (isComplete(Buffer.concat(chunks).toString('latin1'))) finish();
    });
    socket.once('end', finish);
    socket.once('close', finish);
    socket.once('error', finish);
  });
}

function isComplete(text: string): boolean {
  const end = text.indexOf('\r\n\r\n');
  if (end < 0) return false;
  const length = /\r\ncontent-length: *(\d+)/i.exec(text.slice(0, end));
  return length !== null && text.length - end - 4 >= Number(length[1]);
}

/** Sends `request` (text is sent as UTF-8) and returns the server's answer. */
export async function rawRequest(
  port: number,
  request: string | Uint8Array,
  options: RawOptions = {},
): Promise<RawAnswer> {
  const timeoutMs = options.timeoutMs ?? 3_000;
  const bytes = typeof request === 'string' ? Buffer.from(request, 'utf8') : Buffer.from(request);
  let socket: Socket;
  try {
    socket = await openSocket(port, '127.0.0.1', options.localAddress);
  } catch {
    return { status: 0, text: '' };
  }
  socket.on('error', () => {});
  const answer = readAnswer(socket, timeoutMs);
  const chunk = options.chunkBytes ?? bytes.length;
  for (let i = 0; i < bytes.length && !socket.destroyed; i += chunk) {
    socket.write(bytes.subarray(i, i + chunk));
    if (options.pauseMs && i + chunk < bytes.length) await Bun.sleep(options.pauseMs);
  }
  if (options.endAfterWrite && !socket.destroyed) socket.end();
  return answer;
}

/** A complete GET of the credentials path with the given Host and Authorization values. */
export function credentialsRequest(host: string, authorization: string | undefined, extra = ''): string {
  const auth = authorization === undefined ? '' : `Authorization: ${authorization}\r\n`;
  return `GET /v1/credentials HTTP/1.1\r\nHost: ${host}\r\n${auth}${extra}Connection: close\r\n\r\n`;
}

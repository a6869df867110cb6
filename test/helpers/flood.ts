// A connection flood from one source address, opened by a separate process (fixtures/flood_client.py: 12,000
// sockets in ~1.5 s; node:net in the test process took 13 s, longer than Bun's header deadline). Each socket
// sends an unfinished request header just under the agent's header limit (the costliest kind) and holds it.
import { resolve } from 'node:path';
import { MAX_REQUEST_HEADER_BYTES } from '../../src/http/connection-guard.ts';

export interface Flood {
  opened: number;
  refused: number;
  /** Time to open them all. */
  ms: number;
  /** Closes every socket of the flood. */
  end(): Promise<void>;
}

const CLIENT = resolve(import.meta.dir, '../fuzz/fixtures/flood_client.py');

export async function flood(
  port: number,
  count: number,
  localAddress: string,
  headerBytes = MAX_REQUEST_HEADER_BYTES - 64,
): Promise<Flood> {
  const proc = Bun.spawn(
    ['python3', CLIENT, String(port), String(count), localAddress, String(headerBytes), '60'],
    { stdin: 'pipe', stdout: 'pipe', stderr: 'inherit' },
  );
  const reader = (proc.stdout as ReadableStream<Uint8Array>).getReader();
  let line = '';
  while (!line.includes('\n')) {
    const { done, value } = await reader.read();
    if (done) throw new Error(`flood client exited (${await proc.exited}) before reporting`);
    line += new TextDecoder().decode(value);
  }
  const report = JSON.parse(line) as { opened: number; refused: number; ms: number };
  return {
    ...report,
    async end() {
      (proc.stdin as { end(): void }).end();
      await proc.exited;
    },
  };
}

// A loopback HTTPS proxy for tests: it records the target of every CONNECT (the host the agent really dials)
// and tunnels it to a TLS front that presents a certificate for that name, signed by a test CA, and relays
// the decrypted bytes unchanged (Host header and SigV4 signature intact) to the plain-HTTP EKS Auth emulator.
import net from 'node:net';
import tls from 'node:tls';
import { createTestCertificateAuthority } from '../../src/emulator/kube-api/certificates.ts';

export interface RecordingProxy {
  /** http://127.0.0.1:PORT, for HTTPS_PROXY. */
  readonly url: string;
  /** PEM of the CA that signed the TLS front's certificate, for AWS_CA_BUNDLE. */
  readonly caPem: string;
  /** `host:port` of each CONNECT, in order. */
  readonly targets: string[];
  stop(): Promise<void>;
}

const MAX_HEADER_BYTES = 8 * 1024;

/** Pipes two sockets both ways; either one closing closes the other. */
function splice(a: net.Socket, b: net.Socket): void {
  a.pipe(b);
  b.pipe(a);
  const close = () => {
    a.destroy();
    b.destroy();
  };
  a.on('error', close).on('close', close);
  b.on('error', close).on('close', close);
}

function listen(server: net.Server): Promise<number> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve((server.address() as net.AddressInfo).port));
  });
}

/** `names`: the DNS names the TLS front's certificate carries (the endpoints a test expects to be dialled). */
export async function startRecordingProxy(
  upstreamUrl: string,
  names: readonly string[],
): Promise<RecordingProxy> {
  const upstream = new URL(upstreamUrl);
  const ca = createTestCertificateAuthority('test-eks-auth-ca');
  const leaf = ca.issueServerCertificate(names);
  const front = tls.createServer({ cert: leaf.certPem, key: leaf.keyPem }, (clear) => {
    splice(clear, net.connect(Number(upstream.port), upstream.hostname));
  });
  const frontPort = await listen(front);
  const targets: string[] = [];
  const proxy = net.createServer((client) => {
    let head = Buffer.alloc(0);
    const onData = (chunk: Buffer) => {
      head = Buffer.concat([head, chunk]);
      const end = head.indexOf('\r\n\r\n');
      if (end === -1) {
        if (head.length > MAX_HEADER_BYTES) client.destroy();
        return;
      }
      client.off('data', onData);
      const [method, target] = head.subarray(0, head.indexOf('\r\n')).toString('latin1').split(' ');
      if (method !== 'CONNECT' || !target) {
        client.end('HTTP/1.1 405 Method Not Allowed\r\ncontent-length: 0\r\n\r\n');
        return;
      }
      targets.push(target);
      const tunnel = net.connect(frontPort, '127.0.0.1', () => {
        client.write('HTTP/1.1 200 Connection Established\r\n\r\n');
        const rest = head.subarray(end + 4);
        if (rest.length > 0) tunnel.write(rest);
        splice(client, tunnel);
      });
      tunnel.on('error', () => client.destroy());
    };
    client.on('data', onData);
    client.on('error', () => {});
  });
  const proxyPort = await listen(proxy);
  return {
    url: `http://127.0.0.1:${proxyPort}`,
    caPem: ca.certPem,
    targets,
    async stop() {
      await Promise.all([proxy, front].map((s) => new Promise<void>((resolve) => s.close(() => resolve()))));
    },
  };
}

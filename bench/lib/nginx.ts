// Baseline: nginx (nginx-light) answering `return 200 '<body>'` as application/json from a temp prefix.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type Child, spawnChild, waitForOk } from './processes.ts';

export const NGINX_INSTALL_HINT = 'nginx is not installed: apt-get update && apt-get install -y nginx-light';

export function nginxBinary(): string | null {
  return (
    Bun.which('nginx') ?? Bun.which('nginx', { PATH: '/usr/sbin:/usr/local/sbin:/usr/local/nginx/sbin' })
  );
}

export interface NginxProcess {
  readonly url: string;
  readonly child: Child;
  stop(): Promise<void>;
}

export async function startNginx(port: number, body: string, workers = 1): Promise<NginxProcess> {
  const bin = nginxBinary();
  if (!bin) throw new Error(NGINX_INSTALL_HINT);
  if (body.includes("'") || body.includes('\\'))
    throw new Error('body must not contain quotes or backslashes');
  const prefix = mkdtempSync(join(tmpdir(), 'pia-bench-nginx-'));
  // keepalive_requests: nginx closes a keep-alive connection after 1000 requests by default; the agent does not.
  const conf = `daemon off;
worker_processes ${workers};
pid ${prefix}/nginx.pid;
error_log ${prefix}/error.log warn;
events { worker_connections 4096; }
http {
  access_log off;
  keepalive_requests 100000000;
  keepalive_timeout 30s;
  client_body_temp_path ${prefix}/body;
  proxy_temp_path ${prefix}/proxy;
  fastcgi_temp_path ${prefix}/fastcgi;
  uwsgi_temp_path ${prefix}/uwsgi;
  scgi_temp_path ${prefix}/scgi;
  server {
    listen 127.0.0.1:${port};
    location = /ok { return 200 'ok'; }
    location = /v1/credentials { default_type application/json; return 200 '${body}'; }
  }
}
`;
  writeFileSync(join(prefix, 'nginx.conf'), conf);
  const child = spawnChild([bin, '-p', prefix, '-c', join(prefix, 'nginx.conf')]);
  try {
    await waitForOk(`http://127.0.0.1:${port}/ok`, 10_000, child);
  } catch (err) {
    await child.stop();
    rmSync(prefix, { recursive: true, force: true });
    throw err;
  }
  return {
    url: `http://127.0.0.1:${port}/v1/credentials`,
    child,
    async stop() {
      await child.stop();
      rmSync(prefix, { recursive: true, force: true });
    },
  };
}

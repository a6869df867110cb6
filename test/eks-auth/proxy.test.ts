// Proxy choice for the EKS Auth URL from HTTPS_PROXY / HTTP_PROXY / NO_PROXY, table-driven.
import { describe, expect, test } from 'bun:test';
import { resolveProxy } from '../../src/eks-auth/proxy.ts';

const AWS = 'https://eks-auth.us-west-2.api.aws/clusters/c/assume-role-for-pod-identity';
const P = 'http://proxy.corp:3128';

describe('resolveProxy', () => {
  const rows: Array<[string, string, Record<string, string>, string | undefined]> = [
    ['no env: direct', AWS, {}, undefined],
    ['HTTPS_PROXY used for https', AWS, { HTTPS_PROXY: P }, P],
    ['lowercase https_proxy', AWS, { https_proxy: P }, P],
    ['uppercase wins', AWS, { HTTPS_PROXY: P, https_proxy: 'http://other:1' }, P],
    ['HTTP_PROXY not used for https', AWS, { HTTP_PROXY: P }, undefined],
    ['HTTP_PROXY used for http', 'http://eks-auth.internal:8080/x', { HTTP_PROXY: P }, P],
    ['scheme-less proxy gets http://', AWS, { HTTPS_PROXY: 'proxy.corp:3128' }, P],
    ['blank proxy ignored', AWS, { HTTPS_PROXY: '  ' }, undefined],
    ['NO_PROXY exact host', AWS, { HTTPS_PROXY: P, NO_PROXY: 'eks-auth.us-west-2.api.aws' }, undefined],
    ['NO_PROXY domain suffix', AWS, { HTTPS_PROXY: P, NO_PROXY: 'foo.com, api.aws' }, undefined],
    ['NO_PROXY leading dot', AWS, { HTTPS_PROXY: P, NO_PROXY: '.api.aws' }, undefined],
    ['NO_PROXY wildcard domain', AWS, { HTTPS_PROXY: P, no_proxy: '*.api.aws' }, undefined],
    ['NO_PROXY star', AWS, { HTTPS_PROXY: P, NO_PROXY: '*' }, undefined],
    ['NO_PROXY unrelated', AWS, { HTTPS_PROXY: P, NO_PROXY: 'amazonaws.com,169.254.170.23' }, P],
    ['NO_PROXY suffix is not a substring match', AWS, { HTTPS_PROXY: P, NO_PROXY: 'i.aws' }, P],
    [
      'NO_PROXY with matching port',
      AWS,
      { HTTPS_PROXY: P, NO_PROXY: 'eks-auth.us-west-2.api.aws:443' },
      undefined,
    ],
    ['NO_PROXY with other port', AWS, { HTTPS_PROXY: P, NO_PROXY: 'eks-auth.us-west-2.api.aws:8443' }, P],
    ['NO_PROXY ip', 'https://10.1.2.3/x', { HTTPS_PROXY: P, NO_PROXY: '10.1.2.3' }, undefined],
    ['NO_PROXY cidr in', 'https://10.1.2.3/x', { HTTPS_PROXY: P, NO_PROXY: '10.0.0.0/8' }, undefined],
    ['NO_PROXY cidr out', 'https://11.1.2.3/x', { HTTPS_PROXY: P, NO_PROXY: '10.0.0.0/8' }, P],
    ['NO_PROXY ipv6', 'https://[fd00::5]/x', { HTTPS_PROXY: P, NO_PROXY: 'fd00::5' }, undefined],
    ['loopback never proxied', 'http://127.0.0.1:9000/x', { HTTP_PROXY: P }, undefined],
    ['localhost never proxied', 'http://localhost:9000/x', { HTTP_PROXY: P }, undefined],
    ['ipv6 loopback never proxied', 'http://[::1]:9000/x', { HTTP_PROXY: P }, undefined],
  ];
  for (const [name, url, env, expected] of rows) {
    test(name, () => expect(resolveProxy(new URL(url), env)).toBe(expected));
  }
});

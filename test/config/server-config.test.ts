// `server` flags and environment -> frozen Config: every flag's forms, defaults, env precedence, bad input.
import { describe, expect, test } from 'bun:test';
import {
  type Config,
  defaultWorkers,
  missingSettings,
  parseServerConfig,
  SERVER_FLAGS,
  UsageError,
} from '../../src/config/server-config.ts';

const ENV = { AWS_REGION: 'us-west-2' };
const BASE = ['-c', 'my-cluster'];

function parse(args: string[], env: Record<string, string | undefined> = ENV): Config {
  return parseServerConfig([...BASE, ...args], env, { availableCores: 8 });
}

/** The UsageError message for args, failing the test when nothing (or something else) is thrown. */
function errorFor(args: string[], env: Record<string, string | undefined> = ENV): string {
  try {
    parseServerConfig(args, env, { availableCores: 8 });
  } catch (err) {
    expect(err).toBeInstanceOf(UsageError);
    return (err as Error).message;
  }
  throw new Error(`expected a UsageError for ${JSON.stringify(args)}`);
}

describe('defaults', () => {
  test('match the public agent and the Config contract', () => {
    const c = parseServerConfig(BASE, ENV, { availableCores: 2 });
    expect(c).toEqual({
      clusterName: 'my-cluster',
      port: 80,
      bindHosts: ['169.254.170.23', 'fd00:ec2::23'],
      probePort: 2703,
      metricsAddress: '0.0.0.0',
      metricsPort: 2705,
      maxCredentialRetentionMs: 3 * 3_600_000,
      maxCacheSize: 2000,
      maxServiceQps: 3,
      rotateCredentials: false,
      endpoint: undefined,
      useFipsEndpoint: false,
      caBundle: undefined,
      logLevel: 'info',
      region: 'us-west-2',
      probeAddress: 'localhost',
      probeSocket: undefined,
      verifyTokens: 'claims',
      tokenIssuer: undefined,
      jwksUrl: undefined,
      jwksFile: undefined,
      jwksCacheFile: undefined,
      keySourceGraceMs: 120_000,
      workers: 1,
      strictBind: false,
      auditLog: false,
      upstreamTimeoutMs: 4000,
      maxUpstreamConcurrency: 128,
      upstreamFailureGate: 5,
      maxConnections: 16384,
      clientPatienceMs: 4500,
      rateLimitPerClient: 100,
      rateLimitGlobal: 0,
      drainDelayMs: 0,
      shutdownTimeoutMs: 30_000,
      helperThreadNice: 19,
      startupTaint: undefined,
      kubeApi: undefined,
    });
  });

  test('the object and its bind-host list are frozen', () => {
    const c = parse([]);
    expect(Object.isFrozen(c)).toBe(true);
    expect(Object.isFrozen(c.bindHosts)).toBe(true);
    expect(() => {
      (c as { port: number }).port = 1;
    }).toThrow(TypeError);
    expect(() => (c.bindHosts as string[]).push('x')).toThrow(TypeError);
  });

  test.each([
    [1, 1],
    [2, 1],
    [3, 2],
    [5, 4],
    [64, 4],
    [0, 1],
  ])('workers default for %p cores is %p', (cores, workers) => {
    expect(defaultWorkers(cores)).toBe(workers);
    expect(parseServerConfig(BASE, ENV, { availableCores: cores }).workers).toBe(workers);
  });

  test('workers default comes from the runtime when not injected', () => {
    const c = parseServerConfig(BASE, ENV);
    expect(c.workers).toBe(defaultWorkers(navigator.hardwareConcurrency));
  });
});

// [args after -c my-cluster, field, expected]
const FLAG_CASES: [string[], keyof Config, unknown][] = [
  [['--cluster-name', 'other'], 'clusterName', 'other'],
  [['--cluster-name=other'], 'clusterName', 'other'],
  [['-c=other'], 'clusterName', 'other'],
  [['-cother'], 'clusterName', 'other'],
  [['-p', '8080'], 'port', 8080],
  [['-p=8080'], 'port', 8080],
  [['-p8080'], 'port', 8080],
  [['--port', '65535'], 'port', 65535],
  [['--port=1'], 'port', 1],
  [['-b', '127.0.0.1'], 'bindHosts', ['127.0.0.1']],
  [['--bind-hosts=127.0.0.1'], 'bindHosts', ['127.0.0.1']],
  [['-b', '127.0.0.1', '-b', '[::1]'], 'bindHosts', ['127.0.0.1', '::1']],
  [['-b', '127.0.0.1,::1', '--bind-hosts', 'localhost'], 'bindHosts', ['127.0.0.1', '::1', 'localhost']],
  [['-b', '127.0.0.1', '-b', '127.0.0.1'], 'bindHosts', ['127.0.0.1']],
  [['-b', 'agent.example.internal'], 'bindHosts', ['agent.example.internal']],
  [['--probe-port', '9000'], 'probePort', 9000],
  [['--probe-port=9000'], 'probePort', 9000],
  [['--metrics-address', '127.0.0.1'], 'metricsAddress', '127.0.0.1'],
  [['--metrics-address=[::]'], 'metricsAddress', '::'],
  [['--metrics-port', '9100'], 'metricsPort', 9100],
  [['--max-credential-retention-before-renewal', '90m'], 'maxCredentialRetentionMs', 5_400_000],
  [['--max-credential-retention-before-renewal=1h30m'], 'maxCredentialRetentionMs', 5_400_000],
  [['--max-credential-retention-before-renewal', '1.5h'], 'maxCredentialRetentionMs', 5_400_000],
  [['--max-credential-retention-before-renewal', '0'], 'maxCredentialRetentionMs', 0],
  [['--max-credential-retention-before-renewal', '1ns'], 'maxCredentialRetentionMs', 1],
  [['--max-cache-size', '0'], 'maxCacheSize', 0],
  [['--max-cache-size=50000'], 'maxCacheSize', 50_000],
  [['--max-service-qps', '10'], 'maxServiceQps', 10],
  [['--max-service-qps=0.5'], 'maxServiceQps', 0.5],
  [['--rotate-credentials'], 'rotateCredentials', true],
  [['--rotate-credentials=true'], 'rotateCredentials', true],
  [['--rotate-credentials=false'], 'rotateCredentials', false],
  [['--rotate-credentials=1'], 'rotateCredentials', true],
  [['--rotate-credentials=F'], 'rotateCredentials', false],
  [['--rotate-credentials', '--rotate-credentials=false'], 'rotateCredentials', false],
  [['--endpoint', 'https://eks-auth.us-west-2.api.aws'], 'endpoint', 'https://eks-auth.us-west-2.api.aws'],
  [['--endpoint=http://127.0.0.1:4566/'], 'endpoint', 'http://127.0.0.1:4566'],
  [['--endpoint', 'https://vpce.example.com/prefix/'], 'endpoint', 'https://vpce.example.com/prefix'],
  [['-v', 'trace'], 'logLevel', 'trace'],
  [['-v=debug'], 'logLevel', 'debug'],
  [['-vwarn'], 'logLevel', 'warn'],
  [['--verbosity', 'ERROR'], 'logLevel', 'error'],
  [['-v', 'warning'], 'logLevel', 'warn'],
  [['-v', 'panic'], 'logLevel', 'fatal'],
  [['-v', 'fatal'], 'logLevel', 'fatal'],
  [['-v', 'silent'], 'logLevel', 'silent'],
  [['-v', 'info'], 'logLevel', 'info'],
  [['-v', '0'], 'logLevel', 'info'],
  [['-v', '3'], 'logLevel', 'info'],
  [['-v', '4'], 'logLevel', 'debug'],
  [['-v', '5'], 'logLevel', 'debug'],
  [['-v', '6'], 'logLevel', 'trace'],
  [['-v=9'], 'logLevel', 'trace'],
  [['--probe-address', '0.0.0.0'], 'probeAddress', '0.0.0.0'],
  [['--probe-address=::1'], 'probeAddress', '::1'],
  [['--verify-tokens', 'off'], 'verifyTokens', 'off'],
  [['--verify-tokens=claims'], 'verifyTokens', 'claims'],
  [['--token-issuer', 'http://127.0.0.1:9999'], 'tokenIssuer', 'http://127.0.0.1:9999'],
  [['--token-issuer', 'http://127.0.0.1:9999'], 'verifyTokens', 'signature'],
  [['--token-issuer='], 'tokenIssuer', undefined],
  [['--token-issuer='], 'verifyTokens', 'claims'],
  [['--jwks-url', 'https://keys.example.com/jwks.json'], 'jwksUrl', 'https://keys.example.com/jwks.json'],
  [['--jwks-url', 'https://keys.example.com/jwks.json'], 'verifyTokens', 'signature'],
  [['--jwks-file', '/etc/keys/jwks.json'], 'jwksFile', '/etc/keys/jwks.json'],
  [['--jwks-file=/etc/keys/jwks.json'], 'verifyTokens', 'signature'],
  [['--jwks-file', 'k.json', '--verify-tokens', 'claims'], 'verifyTokens', 'claims'],
  [['--jwks-file', 'k.json', '--verify-tokens', 'signature'], 'verifyTokens', 'signature'],
  [['--jwks-cache-file', '/var/cache/jwks.json'], 'jwksCacheFile', '/var/cache/jwks.json'],
  [['--jwks-cache-file='], 'jwksCacheFile', undefined],
  [['--key-source-grace', '0'], 'keySourceGraceMs', 0],
  [['--service-account-dir', '/sa'], 'kubeApi', undefined],
  [
    ['--token-issuer', 'https://oidc.example.com/id/ABC', '--jwks-url', 'https://k.example.com/j'],
    'jwksUrl',
    'https://k.example.com/j',
  ],
  [['--workers', '0'], 'workers', 0],
  [['--workers=3'], 'workers', 3],
  [['--strict-bind'], 'strictBind', true],
  [['--strict-bind=false'], 'strictBind', false],
  [['--audit-log'], 'auditLog', true],
  [['--audit-log=true'], 'auditLog', true],
  [['--upstream-timeout', '2s'], 'upstreamTimeoutMs', 2000],
  [['--upstream-timeout=1.5s'], 'upstreamTimeoutMs', 1500],
  [['--upstream-timeout', '100us'], 'upstreamTimeoutMs', 1],
  [['--max-upstream-concurrency', '64'], 'maxUpstreamConcurrency', 64],
  [['--upstream-failure-gate', '0'], 'upstreamFailureGate', 0],
  [['--upstream-failure-gate=12'], 'upstreamFailureGate', 12],
  [['--max-connections', '4096'], 'maxConnections', 4096],
  [['--client-patience', '2s'], 'clientPatienceMs', 2000],
  [['--client-patience=100ms'], 'clientPatienceMs', 100],
  [['--rate-limit-per-client', '0'], 'rateLimitPerClient', 0],
  [['--rate-limit-per-client=20.5'], 'rateLimitPerClient', 20.5],
  [['--rate-limit-global', '1000'], 'rateLimitGlobal', 1000],
  [['--probe-socket', '/tmp/agent.sock'], 'probeSocket', '/tmp/agent.sock'],
  [['--probe-socket='], 'probeSocket', undefined],
  [['--drain-delay', '5s'], 'drainDelayMs', 5000],
  [['--drain-delay=0'], 'drainDelayMs', 0],
  [['--shutdown-timeout', '0'], 'shutdownTimeoutMs', 0],
  [['--shutdown-timeout=45s'], 'shutdownTimeoutMs', 45_000],
  [['--helper-thread-nice=10'], 'helperThreadNice', 10],
  [['--helper-thread-nice', '0'], 'helperThreadNice', 0],
  // Empty is off (a manifest passes $(STARTUP_TAINT) unset); a value needs NODE_NAME (test/kube/).
  [['--startup-taint='], 'startupTaint', undefined],
  // A repeated single-value flag keeps the last value, so an appended override wins.
  [['-p', '81', '--port', '82'], 'port', 82],
  [['-v', 'trace', '-v', 'error'], 'logLevel', 'error'],
];

describe('flags', () => {
  test.each(FLAG_CASES)('%j sets %s to %j', (args, field, expected) => {
    const c = parse(args);
    expect(c[field]).toEqual(expected as never);
  });

  test('every flag in the table is exercised above', () => {
    const used = new Set(
      FLAG_CASES.flatMap(([args]) =>
        args.filter((a) => a.startsWith('--')).map((a) => a.slice(2).split('=')[0]),
      ),
    );
    const untested = SERVER_FLAGS.map((f) => f.name).filter((n) => n !== 'help' && !used.has(n));
    expect(untested).toEqual([]);
  });

  test('flags may come in any order and the cluster name anywhere', () => {
    const c = parseServerConfig(['-p', '8080', '--rotate-credentials', '-c', 'late', '-v', '6'], ENV);
    expect([c.clusterName, c.port, c.rotateCredentials, c.logLevel]).toEqual(['late', 8080, true, 'trace']);
  });

  test('the add-on workaround form -b 169.254.170.23 keeps only IPv4', () => {
    expect(parse(['-b', '169.254.170.23']).bindHosts).toEqual(['169.254.170.23']);
  });

  test('an empty -- ends the flags', () => {
    expect(parse(['--']).port).toBe(80);
  });
});

describe('environment', () => {
  test.each([
    [{ AWS_REGION: 'eu-west-1' }, 'eu-west-1'],
    [{ AWS_DEFAULT_REGION: 'ap-south-1' }, 'ap-south-1'],
    [{ AWS_REGION: 'eu-west-1', AWS_DEFAULT_REGION: 'ap-south-1' }, 'eu-west-1'],
    [{ AWS_REGION: '', AWS_DEFAULT_REGION: 'ap-south-1' }, 'ap-south-1'],
    [{ AWS_REGION: 'us-gov-west-1' }, 'us-gov-west-1'],
  ])('region from %j is %p', (env, region) => {
    expect(parse([], env).region).toBe(region);
  });

  test('a missing region names both variables', () => {
    for (const env of [{}, { AWS_REGION: '' }, { AWS_REGION: '', AWS_DEFAULT_REGION: '' }]) {
      const message = errorFor(BASE, env);
      expect(message).toContain('AWS_REGION');
      expect(message).toContain('AWS_DEFAULT_REGION');
    }
  });

  test('a malformed region names its variable', () => {
    expect(errorFor(BASE, { AWS_DEFAULT_REGION: 'US East 1' })).toBe(
      'invalid value "US East 1" for AWS_DEFAULT_REGION: expected a region such as us-east-1',
    );
  });

  test('AWS_ENDPOINT_URL_EKS_AUTH is used without --endpoint', () => {
    const env = { ...ENV, AWS_ENDPOINT_URL_EKS_AUTH: 'http://127.0.0.1:4566' };
    expect(parse([], env).endpoint).toBe('http://127.0.0.1:4566');
  });

  test('--endpoint beats AWS_ENDPOINT_URL_EKS_AUTH', () => {
    const env = { ...ENV, AWS_ENDPOINT_URL_EKS_AUTH: 'http://127.0.0.1:4566' };
    expect(parse(['--endpoint', 'https://flag.example.com'], env).endpoint).toBe('https://flag.example.com');
  });

  test.each([
    [undefined, false],
    ['', false],
    ['true', true],
    ['TRUE', true],
    ['false', false],
    ['False', false],
  ])('AWS_USE_FIPS_ENDPOINT=%p -> %p', (value, expected) => {
    expect(parse([], { ...ENV, AWS_USE_FIPS_ENDPOINT: value }).useFipsEndpoint).toBe(expected);
  });

  test('AWS_USE_FIPS_ENDPOINT: a bad word names the variable; with a custom endpoint it is refused', () => {
    expect(errorFor(BASE, { ...ENV, AWS_USE_FIPS_ENDPOINT: 'yes' })).toBe(
      'invalid value "yes" for AWS_USE_FIPS_ENDPOINT: expected true or false',
    );
    expect(
      errorFor([...BASE, '--endpoint', 'https://x.example.com'], { ...ENV, AWS_USE_FIPS_ENDPOINT: 'true' }),
    ).toContain('cannot be combined');
  });

  test('AWS_CA_BUNDLE is the path of the CA file for the EKS Auth call; empty counts as unset', () => {
    expect(parse([], { ...ENV, AWS_CA_BUNDLE: '/etc/pki/tls/certs/ca-bundle.crt' }).caBundle).toBe(
      '/etc/pki/tls/certs/ca-bundle.crt',
    );
    expect(parse([], { ...ENV, AWS_CA_BUNDLE: '' }).caBundle).toBeUndefined();
  });

  test('an empty AWS_ENDPOINT_URL_EKS_AUTH counts as unset', () => {
    expect(parse([], { ...ENV, AWS_ENDPOINT_URL_EKS_AUTH: '' }).endpoint).toBeUndefined();
  });

  test('a bad AWS_ENDPOINT_URL_EKS_AUTH names the variable and hides credentials in it', () => {
    expect(errorFor(BASE, { ...ENV, AWS_ENDPOINT_URL_EKS_AUTH: 'ftp://x' })).toContain(
      'AWS_ENDPOINT_URL_EKS_AUTH',
    );
    const message = errorFor(BASE, {
      ...ENV,
      AWS_ENDPOINT_URL_EKS_AUTH: 'https://AKIDEXAMPLE:s3cr3tKey@host',
    });
    expect(message).toContain('AWS_ENDPOINT_URL_EKS_AUTH');
    expect(message).not.toContain('s3cr3tKey');
    expect(message).not.toContain('AKIDEXAMPLE');
  });

  test('reads nothing but its own variables', () => {
    const seen: string[] = [];
    const env = new Proxy({ ...ENV } as Record<string, string | undefined>, {
      get(target, key) {
        seen.push(String(key));
        return target[String(key)];
      },
    });
    parseServerConfig(BASE, env, { availableCores: 2 });
    expect([...new Set(seen)].sort()).toEqual([
      'AWS_CA_BUNDLE',
      'AWS_ENDPOINT_URL_EKS_AUTH',
      'AWS_REGION',
      'AWS_USE_FIPS_ENDPOINT',
      'KUBERNETES_SERVICE_HOST',
      'KUBERNETES_SERVICE_PORT',
    ]);
  });
});

// [argv, exact one-line message]
const BAD_INPUT: [string[], string][] = [
  [[], 'missing required flag --cluster-name (-c)'],
  [['-p', '80'], 'missing required flag --cluster-name (-c)'],
  [['-c'], 'flag --cluster-name needs a value (NAME)'],
  [['-c', '--port', '80'], 'flag --cluster-name needs a value (NAME)'],
  [[...BASE, '--port'], 'flag --port needs a value (PORT)'],
  [[...BASE, '-v'], 'flag --verbosity needs a value (LEVEL)'],
  [[...BASE, '--prot', '80'], 'unknown flag "--prot" (did you mean --port?)'],
  [[...BASE, '--cluster-nmae=x'], 'unknown flag "--cluster-nmae" (did you mean --cluster-name?)'],
  [[...BASE, '--max-cache', '5'], 'unknown flag "--max-cache" (did you mean --max-cache-size?)'],
  [
    [...BASE, '--rotate-credential'],
    'unknown flag "--rotate-credential" (did you mean --rotate-credentials?)',
  ],
  [[...BASE, '--completely-different'], 'unknown flag "--completely-different"'],
  [[...BASE, '-x', '1'], 'unknown flag "-x"'],
  [[...BASE, 'extra'], 'unexpected argument "extra" (flags look like --name value)'],
  [
    [...BASE, '--rotate-credentials', 'false'],
    '"--rotate-credentials false" would turn --rotate-credentials on (a separate word does not set a boolean flag); write --rotate-credentials=false',
  ],
  [[...BASE, '--', 'more'], 'unexpected argument "more"'],
  [['-c', '-bad'], 'flag --cluster-name needs a value (NAME)'],
  [
    ['-c', '_bad'],
    'invalid value "_bad" for --cluster-name: a cluster name is 1-100 letters, digits, - or _, starting with a letter or digit',
  ],
  [
    ['-c', 'has space'],
    'invalid value "has space" for --cluster-name: a cluster name is 1-100 letters, digits, - or _, starting with a letter or digit',
  ],
  [
    ['-c', 'a/b'],
    'invalid value "a/b" for --cluster-name: a cluster name is 1-100 letters, digits, - or _, starting with a letter or digit',
  ],
  [[...BASE, '-p', '0'], 'invalid value "0" for --port: must be from 1 to 65535'],
  [[...BASE, '-p', '65536'], 'invalid value "65536" for --port: must be from 1 to 65535'],
  [[...BASE, '-p', '-1'], 'invalid value "-1" for --port: must be from 1 to 65535'],
  [[...BASE, '-p', 'http'], 'invalid value "http" for --port: expected an integer from 1 to 65535'],
  [[...BASE, '-p', '80.5'], 'invalid value "80.5" for --port: expected an integer from 1 to 65535'],
  [[...BASE, '-p', '1e3'], 'invalid value "1e3" for --port: expected an integer from 1 to 65535'],
  [[...BASE, '-p', '0x50'], 'invalid value "0x50" for --port: expected an integer from 1 to 65535'],
  [[...BASE, '--probe-port', '70000'], 'invalid value "70000" for --probe-port: must be from 1 to 65535'],
  [[...BASE, '--metrics-port='], 'invalid value "" for --metrics-port: expected an integer from 1 to 65535'],
  [
    [...BASE, '-b', 'not a host'],
    'invalid value "not a host" for --bind-hosts: expected an IP address or a host name',
  ],
  [[...BASE, '-b', '127.0.0.1,'], 'invalid value "" for --bind-hosts: expected an IP address or a host name'],
  [
    [...BASE, '-b', '[127.0.0.1]'],
    'invalid value "[127.0.0.1]" for --bind-hosts: brackets only go around an IPv6 address',
  ],
  [
    [...BASE, '-b', 'fd00:ec2::23:'],
    'invalid value "fd00:ec2::23:" for --bind-hosts: expected an IP address or a host name',
  ],
  [
    [...BASE, '--metrics-address', 'http://x'],
    'invalid value "http://x" for --metrics-address: expected an IP address or a host name',
  ],
  [
    [...BASE, '--probe-address', 'a..b'],
    'invalid value "a..b" for --probe-address: expected an IP address or a host name',
  ],
  [
    [...BASE, '--max-credential-retention-before-renewal', '3'],
    'invalid value "3" for --max-credential-retention-before-renewal: expected a Go duration such as 500ms, 90s, 3h or 1h30m',
  ],
  [
    [...BASE, '--max-credential-retention-before-renewal', '-1h'],
    'invalid value "-1h" for --max-credential-retention-before-renewal: must not be negative',
  ],
  [[...BASE, '--upstream-timeout', '0'], 'invalid value "0" for --upstream-timeout: must be greater than 0'],
  [
    [...BASE, '--upstream-timeout', '11m'],
    'invalid value "11m" for --upstream-timeout: must be at most 600000 ms',
  ],
  [
    [...BASE, '--upstream-timeout', 'soon'],
    'invalid value "soon" for --upstream-timeout: expected a Go duration such as 500ms, 90s, 3h or 1h30m',
  ],
  [[...BASE, '--client-patience', '0s'], 'invalid value "0s" for --client-patience: must be greater than 0'],
  [
    [...BASE, '--shutdown-timeout', '2h'],
    'invalid value "2h" for --shutdown-timeout: must be at most 3600000 ms',
  ],
  [[...BASE, '--max-cache-size', '-1'], 'invalid value "-1" for --max-cache-size: must be from 0 to 1000000'],
  [
    [...BASE, '--max-cache-size', 'lots'],
    'invalid value "lots" for --max-cache-size: expected an integer from 0 to 1000000',
  ],
  [
    [...BASE, '--max-service-qps', '0'],
    'invalid value "0" for --max-service-qps: must be greater than 0 and at most 10000',
  ],
  [
    [...BASE, '--max-service-qps', '-3'],
    'invalid value "-3" for --max-service-qps: must be greater than 0 and at most 10000',
  ],
  [[...BASE, '--max-service-qps', 'NaN'], 'invalid value "NaN" for --max-service-qps: expected a number'],
  [
    [...BASE, '--max-service-qps', 'Infinity'],
    'invalid value "Infinity" for --max-service-qps: expected a number',
  ],
  [
    [...BASE, '--rate-limit-per-client', '-1'],
    'invalid value "-1" for --rate-limit-per-client: must be at least 0 and at most 1000000',
  ],
  [[...BASE, '--rate-limit-global', 'x'], 'invalid value "x" for --rate-limit-global: expected a number'],
  [[...BASE, '--workers', '65'], 'invalid value "65" for --workers: must be from 0 to 64'],
  [
    [...BASE, '--helper-thread-nice', '20'],
    'invalid value "20" for --helper-thread-nice: must be from 0 to 19',
  ],
  [
    [...BASE, '--helper-thread-nice', '-5'],
    'invalid value "-5" for --helper-thread-nice: must be from 0 to 19',
  ],
  [
    [...BASE, '--max-upstream-concurrency', '0'],
    'invalid value "0" for --max-upstream-concurrency: must be from 1 to 1024',
  ],
  [
    [...BASE, '--rotate-credentials=maybe'],
    'invalid value "maybe" for --rotate-credentials: expected true or false',
  ],
  [
    [...BASE, '-v', 'loud'],
    'invalid value "loud" for --verbosity: expected trace, debug, info, warn, error, fatal, silent or a number 0-9',
  ],
  [
    [...BASE, '-v', '10'],
    'invalid value "10" for --verbosity: expected trace, debug, info, warn, error, fatal, silent or a number 0-9',
  ],
  [
    [...BASE, '--endpoint', 'eks-auth.us-west-2.api.aws'],
    'invalid value "eks-auth.us-west-2.api.aws" for --endpoint: expected an http or https URL',
  ],
  [
    [...BASE, '--endpoint', 'ftp://x.example.com'],
    'invalid value "ftp://x.example.com" for --endpoint: expected an http or https URL',
  ],
  [
    [...BASE, '--endpoint', 'https://x.example.com/?a=1'],
    'invalid value "https://x.example.com/?a=1" for --endpoint: must not contain a query or fragment',
  ],
  [
    [...BASE, '--token-issuer', 'not-a-url'],
    'invalid value "not-a-url" for --token-issuer: expected an http or https URL',
  ],
  [
    [...BASE, '--jwks-url', 'file:///etc/jwks'],
    'invalid value "file:///etc/jwks" for --jwks-url: expected an http or https URL',
  ],
  [[...BASE, '--jwks-file='], 'invalid value "" for --jwks-file: expected a file path'],
  [
    [...BASE, '--verify-tokens', 'strict'],
    'invalid value "strict" for --verify-tokens: expected one of off, claims, signature',
  ],
  [
    [...BASE, '--verify-tokens', 'signature'],
    '--verify-tokens=signature needs a key source: --token-issuer, --jwks-url, --jwks-file, or a cluster (KUBERNETES_SERVICE_HOST/PORT)',
  ],
  [
    [...BASE, '--jwks-url', 'https://k.example.com', '--jwks-file', 'k.json'],
    '--jwks-url and --jwks-file both name the signing keys: give only one',
  ],
];

describe('bad input', () => {
  test.each(BAD_INPUT)('%j -> %s', (args, message) => {
    expect(errorFor(args)).toBe(message);
  });

  test('a too-long cluster name is rejected and shown truncated', () => {
    const message = errorFor(['-c', 'a'.repeat(101)]);
    expect(message).toContain('for --cluster-name');
    expect(message).toContain(`"${'a'.repeat(60)}..."`);
    expect(parse(['-c', 'a'.repeat(100)]).clusterName).toHaveLength(100);
  });

  test('secret-looking values never reach the message', () => {
    const jwt = 'eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJ4In0.c2lnbmF0dXJl';
    for (const args of [
      ['-c', jwt],
      [...BASE, '--endpoint', 'https://user:hunter2@eks.example.com'],
      [...BASE, '--jwks-url', `https://k.example.com/?token=${jwt}`],
      [...BASE, '-p', jwt],
      [...BASE, '--endpoint', 'wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY'],
      [...BASE, '--jwks-url', 'https://s3.example.com/k?X-Amz-Signature=abc123'],
    ]) {
      const message = errorFor(args);
      expect(message).toContain('<redacted>');
      expect(message).not.toContain('hunter2');
      expect(message).not.toContain('eyJ');
      expect(message).not.toContain('EXAMPLEKEY');
      expect(message).not.toContain('abc123');
    }
  });

  test('control characters in values stay on one line', () => {
    const message = errorFor(['-c', 'a\nb']);
    expect(message).not.toContain('\n');
    expect(message).toContain('"a\\nb"');
  });

  test('an empty cluster name parses (the agent starts unready); with it an empty region is allowed too', () => {
    const noRegion = parseServerConfig(['--cluster-name='], {});
    expect([noRegion.clusterName, noRegion.region]).toEqual(['', '']);
    expect(missingSettings(noRegion)).toEqual(['CLUSTER_NAME (--cluster-name)', 'AWS_REGION']);
    expect(missingSettings(parseServerConfig(['-c', ''], { AWS_REGION: 'eu-west-1' }))).toEqual([
      'CLUSTER_NAME (--cluster-name)',
    ]);
    expect(missingSettings(parse(['-c', 'prod']))).toEqual([]);
  });

  test('every message is one line', () => {
    for (const [args] of BAD_INPUT) expect(errorFor(args)).not.toContain('\n');
  });
});

describe('in a cluster', () => {
  const CLUSTER_ENV = { ...ENV, KUBERNETES_SERVICE_HOST: '10.100.0.1', KUBERNETES_SERVICE_PORT: '443' };

  test('keys come from the API server by default: signature mode with no flag', () => {
    const c = parseServerConfig(BASE, CLUSTER_ENV, { availableCores: 2 });
    expect(c.verifyTokens).toBe('signature');
    expect(c.kubeApi).toEqual({
      baseUrl: 'https://10.100.0.1:443',
      tokenFile: '/var/run/secrets/kubernetes.io/serviceaccount/token',
      caFile: '/var/run/secrets/kubernetes.io/serviceaccount/ca.crt',
    });
  });

  test('--service-account-dir moves token and CA; --verify-tokens=claims opts out', () => {
    const c = parseServerConfig(
      [...BASE, '--service-account-dir=/sa', '--verify-tokens=claims'],
      CLUSTER_ENV,
    );
    expect(c.kubeApi?.tokenFile).toBe('/sa/token');
    expect(c.verifyTokens).toBe('claims');
  });

  test('--jwks-cache-file and --key-source-grace', () => {
    const c = parseServerConfig(
      [...BASE, '--jwks-cache-file=/cache/jwks.json', '--key-source-grace=30s'],
      ENV,
    );
    expect(c.jwksCacheFile).toBe('/cache/jwks.json');
    expect(c.keySourceGraceMs).toBe(30_000);
  });

  test('a malformed in-cluster environment is a clear error', () => {
    expect(() => parseServerConfig(BASE, { ...CLUSTER_ENV, KUBERNETES_SERVICE_PORT: 'https' })).toThrow(
      'KUBERNETES_SERVICE_PORT is not a port number',
    );
  });
});

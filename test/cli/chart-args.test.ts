// The public Helm chart's (aws/eks-pod-identity-agent charts/) rendered arguments, as its own expected
// templates (hack/testdata/expected_*_helm_template.yaml) and values.yaml give them, run through our CLI as
// `image.override` would: every form must parse to the same meaning the public agent (cobra/pflag) gives it.

import { describe, expect, test } from 'bun:test';
import { type CliIo, runCli, type SubcommandLoaders } from '../../src/cli/dispatch.ts';
import { UsageError } from '../../src/cli/usage-error.ts';
import type { Config } from '../../src/config/server-config.ts';
import { type InitializeOptions, parseInitializeOptions } from '../../src/initialize/initialize-options.ts';

interface Outcome {
  code: number;
  stderr: string;
  server?: Config;
  initialize?: InitializeOptions;
}

/** Runs argv (what follows `/go-runner /eks-pod-identity-agent`) with loaders that parse but do not run. */
async function run(argv: string[]): Promise<Outcome> {
  const outcome: Outcome = { code: -1, stderr: '' };
  const io: CliIo = {
    stdout: () => {},
    stderr: (t) => {
      outcome.stderr += t;
    },
    env: { AWS_REGION: 'us-west-2' },
  };
  const unused = async () => async () => 99;
  const loaders: SubcommandLoaders = {
    server: async () => async (config) => {
      outcome.server = config;
      return 0;
    },
    initialize: async () => async (args) => {
      outcome.initialize = parseInitializeOptions(args);
      return 0;
    },
    local: unused,
    emulator: unused,
  };
  outcome.code = await runCli(argv, io, loaders);
  return outcome;
}

// values.yaml: init.additionalArgs {"-v": "trace"}; agent.additionalArgs {"-v": "trace"}; daemonsets hybrid and
// hybrid-bottlerocket additionalArgs {"--rotate-credentials": "true"}; metrics.enabled adds --metrics-port.
const CHART_SERVER = ['server', '--port', '80', '--cluster-name', 'EKS_CLUSTER_NAME', '--probe-port', '2703'];
const CHART = {
  init: ['initialize', '-v', 'trace'],
  cloud: [...CHART_SERVER, '-v', 'trace'],
  cloudWithMetrics: [...CHART_SERVER, '--metrics-port', '2705', '-v', 'trace'],
  hybrid: [...CHART_SERVER, '-v', 'trace', '--rotate-credentials', 'true'],
  // The managed add-on's documented IPv6 workaround: configuration {"agent":{"additionalArgs":{"-b":"169.254.170.23"}}}.
  addonIpv4Only: [...CHART_SERVER, '-b', '169.254.170.23'],
} as const;

describe("the public chart's rendered args", () => {
  test('init container `initialize -v trace`: accepted, trace level, defaults otherwise', async () => {
    const r = await run([...CHART.init]);
    expect([r.code, r.stderr]).toEqual([0, '']);
    expect(r.initialize).toMatchObject({
      logLevel: 'trace',
      linkName: 'pod-id-link0',
      ipv4Address: '169.254.170.23',
    });
  });

  test.each([
    ['cloud', CHART.cloud, false, 2705],
    ['cloud with metrics', CHART.cloudWithMetrics, false, 2705],
    ['hybrid (--rotate-credentials "true")', CHART.hybrid, true, 2705],
  ] as const)(
    '%s server args parse as the public agent reads them',
    async (_name, argv, rotate, metricsPort) => {
      const r = await run([...argv]);
      expect([r.code, r.stderr]).toEqual([0, '']);
      expect(r.server).toMatchObject({
        clusterName: 'EKS_CLUSTER_NAME',
        port: 80,
        probePort: 2703,
        metricsPort,
        logLevel: 'trace',
        rotateCredentials: rotate,
        region: 'us-west-2',
      });
    },
  );

  test("the add-on's `-b 169.254.170.23` workaround binds IPv4 only", async () => {
    const r = await run([...CHART.addonIpv4Only]);
    expect(r.code).toBe(0);
    expect(r.server!.bindHosts).toEqual(['169.254.170.23']);
  });
});

describe('-v on every subcommand (a cobra root flag)', () => {
  test.each([
    [['initialize', '-v', 'trace'], 'trace'],
    [['initialize', '-v=debug'], 'debug'],
    [['initialize', '-vtrace'], 'trace'],
    [['initialize', '--verbosity', 'error'], 'error'],
    [['initialize', '--verbosity=info', '--skip-ipv6'], 'info'],
    [['initialize', '-v', '6'], 'trace'],
  ])('%j -> %s', async (argv, level) => {
    const r = await run(argv);
    expect([r.code, r.stderr]).toEqual([0, '']);
    expect(r.initialize!.logLevel as string).toBe(level);
  });

  test.each([
    [['server', '-c', 'x', '-v', 'trace'], 'trace'],
    [['server', '-c', 'x', '-v=debug'], 'debug'],
    [['server', '-c', 'x', '-vwarn'], 'warn'],
    [['server', '-c', 'x', '--verbosity', 'error'], 'error'],
    [['-v', 'trace', '-c', 'x'], 'trace'],
  ])('%j -> %s', async (argv, level) => {
    const r = await run(argv);
    expect([r.code, r.stderr]).toEqual([0, '']);
    expect(r.server!.logLevel as string).toBe(level);
  });

  test('`version -v trace` prints the version; a bad level is still an error', async () => {
    expect((await run(['version', '-v', 'trace'])).code).toBe(0);
    expect((await run(['version', '-v', 'loud'])).code).toBe(2);
    expect(() => parseInitializeOptions(['-v', 'loud'])).toThrow(UsageError);
    expect(() => parseInitializeOptions(['-v', 'loud'])).toThrow(/--verbosity/);
  });
});

describe('cobra/pflag boolean forms', () => {
  test.each([
    [['--rotate-credentials'], true],
    [['--rotate-credentials', 'true'], true],
    [['--rotate-credentials', 'True'], true],
    [['--rotate-credentials', 'TRUE'], true],
    [['--rotate-credentials', '1'], true],
    [['--rotate-credentials', 't'], true],
    [['--rotate-credentials=true'], true],
    [['--rotate-credentials=1'], true],
    [['--rotate-credentials=T'], true],
    [['--rotate-credentials=false'], false],
    [['--rotate-credentials=0'], false],
    [['--rotate-credentials=F'], false],
    [['--rotate-credentials=False'], false],
    [['--rotate-credentials', 'true', '-v', 'trace'], true],
    [[], false],
  ])('%j -> %p', async (extra, expected) => {
    const r = await run(['server', '-c', 'x', ...extra]);
    expect([r.code, r.stderr]).toEqual([0, '']);
    expect(r.server!.rotateCredentials).toBe(expected);
  });

  test.each([[['initialize', '--skip-ipv6', 'true']], [['initialize', '--skip-ipv6=1']]])(
    '%j: the same forms on initialize',
    async (argv) => {
      const r = await run(argv);
      expect(r.code).toBe(0);
      expect(r.initialize!.ipv6Address).toBeUndefined();
    },
  );

  // pflag would set the flag and cobra would drop the word: `--rotate-credentials false` would turn it ON.
  test('a separate false-word is refused with the spelling that works, instead of silently meaning true', async () => {
    const r = await run(['server', '-c', 'x', '--rotate-credentials', 'false']);
    expect(r.code).toBe(2);
    expect(r.stderr).toBe(
      'eks-pod-identity-agent: "--rotate-credentials false" would turn --rotate-credentials on (a separate word does not set a boolean flag); write --rotate-credentials=false\n',
    );
    expect(r.server).toBeUndefined();
  });

  test('any other stray word is still an error (a typo must not pass silently)', async () => {
    const r = await run(['server', '-c', 'x', '--rotate-credentials', 'yes']);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('unexpected argument "yes"');
  });
});

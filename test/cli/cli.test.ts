// The CLI: dispatch, help generated from the flag table, version, exit codes and one-line errors.
// Most cases run in process with recording loaders; a few spawn the real entry point end to end.
import { describe, expect, test } from 'bun:test';
import { resolve } from 'node:path';
import { type CliIo, PROGRAM, runCli, type SubcommandLoaders } from '../../src/cli/dispatch.ts';
import { type Config, SERVER_FLAGS, UsageError } from '../../src/config/server-config.ts';
import { VERSION } from '../../src/version.ts';

interface Captured {
  code: number;
  stdout: string;
  stderr: string;
  calls: [string, unknown][];
}

/** Loaders that record what each subcommand received instead of running it. */
function recordingLoaders(calls: [string, unknown][], result = 0, fail?: unknown): SubcommandLoaders {
  const runner = (name: string) => async () => async (arg: unknown) => {
    calls.push([name, arg]);
    if (fail !== undefined) throw fail;
    return result;
  };
  return {
    server: runner('server'),
    local: runner('local'),
    emulator: runner('emulator'),
    initialize: runner('initialize'),
  };
}

async function run(
  argv: string[],
  options: { env?: Record<string, string>; result?: number; fail?: unknown } = {},
): Promise<Captured> {
  const out: Captured = { code: -1, stdout: '', stderr: '', calls: [] };
  const io: CliIo = {
    stdout: (t) => {
      out.stdout += t;
    },
    stderr: (t) => {
      out.stderr += t;
    },
    env: options.env ?? { AWS_REGION: 'us-east-1' },
  };
  out.code = await runCli(argv, io, recordingLoaders(out.calls, options.result ?? 0, options.fail));
  return out;
}

function expectOneErrorLine(r: Captured, code: number, text: string | RegExp): void {
  expect(r.code).toBe(code);
  expect(r.stdout).toBe('');
  expect(r.stderr.endsWith('\n')).toBe(true);
  expect(r.stderr.trimEnd()).not.toContain('\n');
  expect(r.stderr).toStartWith(`${PROGRAM}: `);
  expect(r.stderr).toMatch(text);
}

describe('dispatch', () => {
  test('server parses flags and env into a frozen Config before loading the agent', async () => {
    const r = await run(['server', '-c', 'demo', '-p', '8080'], { result: 0 });
    expect(r.code).toBe(0);
    expect(r.calls).toHaveLength(1);
    const [name, config] = r.calls[0]! as [string, Config];
    expect(name).toBe('server');
    expect(Object.isFrozen(config)).toBe(true);
    expect([config.clusterName, config.port, config.region]).toEqual(['demo', 8080, 'us-east-1']);
  });

  test('flags first mean server', async () => {
    const r = await run(['-c', 'demo', '-b', '127.0.0.1']);
    expect(r.calls.map(([n]) => n)).toEqual(['server']);
    expect((r.calls[0]![1] as Config).bindHosts).toEqual(['127.0.0.1']);
  });

  test.each(['local', 'emulator', 'initialize'])('%s gets the rest of argv untouched', async (name) => {
    const r = await run([name, '--port', '0', '--anything']);
    expect(r.calls).toEqual([[name, ['--port', '0', '--anything']]]);
  });

  test("a subcommand's exit code becomes the CLI's", async () => {
    expect((await run(['local'], { result: 3 })).code).toBe(3);
    expect((await run(['server', '-c', 'x'], { result: 0 })).code).toBe(0);
  });

  test('a subcommand that throws exits 1 with one line, only its first line', async () => {
    const r = await run(['emulator'], { fail: new Error('port in use\n    at stack frame') });
    expectOneErrorLine(r, 1, `${PROGRAM}: port in use\n`);
  });

  test('a UsageError from any subcommand exits 2', async () => {
    const r = await run(['initialize', '--bogus'], { fail: new UsageError('unknown flag "--bogus"') });
    expectOneErrorLine(r, 2, 'unknown flag "--bogus"');
  });

  test('a bad server flag exits 2 without loading the agent', async () => {
    const r = await run(['server', '-c', 'demo', '--prot', '8080']);
    expectOneErrorLine(r, 2, `${PROGRAM}: unknown flag "--prot" (did you mean --port?)\n`);
    expect(r.calls).toEqual([]);
  });

  test('a missing region exits 2 naming both variables', async () => {
    const r = await run(['server', '-c', 'demo'], { env: {} });
    expectOneErrorLine(r, 2, /AWS_REGION.*AWS_DEFAULT_REGION/);
  });

  test.each([
    [['bogus'], 'unknown subcommand "bogus"'],
    [['toString'], 'unknown subcommand "toString"'],
    [['__proto__'], 'unknown subcommand "__proto__"'],
    [['help', 'bogus'], 'unknown subcommand "bogus"'],
    [['version', 'extra'], 'version takes no arguments'],
    [[], 'missing subcommand'],
  ])('%j exits 2: %s', async (argv, text) => {
    const r = await run(argv);
    expectOneErrorLine(r, 2, text);
    expect(r.calls).toEqual([]);
  });
});

describe('help and version', () => {
  test.each([[['--help']], [['-h']], [['help']]])(
    '%j lists the subcommands and every server flag',
    async (argv) => {
      const r = await run(argv);
      expect(r.code).toBe(0);
      for (const name of ['server', 'local', 'emulator', 'initialize', 'version'])
        expect(r.stdout).toContain(`  ${name} `);
      for (const flag of SERVER_FLAGS) expect(r.stdout).toContain(`--${flag.name}`);
      expect(r.calls).toEqual([]);
    },
  );

  test.each([
    [['server', '--help']],
    [['server', '-h']],
    [['help', 'server']],
    [['-c', 'x', '--help']],
    [['server', '-c', 'x', '--port', 'bad', '-h']],
  ])('%j prints server help with every flag, its short form and default', async (argv) => {
    const r = await run(argv);
    expect(r.code).toBe(0);
    expect(r.stderr).toBe('');
    expect(r.calls).toEqual([]);
    for (const flag of SERVER_FLAGS) {
      const short = 'short' in flag ? `-${flag.short}, ` : '    ';
      expect(r.stdout).toContain(`${short}--${flag.name}`);
      if ('default' in flag && flag.default !== undefined) {
        const shown = typeof flag.default === 'string' ? flag.default : flag.default.join(', ');
        expect(r.stdout).toContain(`(default: ${shown})`);
      }
    }
    expect(r.stdout).toContain('(default: 3h)');
    expect(r.stdout).toContain('(default: 169.254.170.23, [fd00:ec2::23])');
  });

  test('no help line is wider than 100 columns', async () => {
    const r = await run(['server', '--help']);
    for (const line of r.stdout.split('\n')) expect(line.length).toBeLessThanOrEqual(100);
  });

  test('version prints the package version and the runtime', async () => {
    const r = await run(['version']);
    expect(r.code).toBe(0);
    expect(r.stdout).toBe(
      `${PROGRAM} ${VERSION} (bun ${Bun.version}, ${process.platform}/${process.arch})\n`,
    );
  });
});

// End to end through the real entry points: few, run concurrently (each spawn costs ~100 ms).
describe('entry point', () => {
  const root = resolve(import.meta.dir, '..', '..');

  async function spawn(args: string[], env: Record<string, string> = {}) {
    const proc = Bun.spawn([process.execPath, ...args], {
      cwd: root,
      env: { PATH: process.env['PATH'] ?? '', ...env },
      stdout: 'pipe',
      stderr: 'pipe',
    });
    const [stdout, stderr, code] = await Promise.all([
      new Response(proc.stdout).text(),
      new Response(proc.stderr).text(),
      proc.exited,
    ]);
    return { code, stdout, stderr };
  }

  test('help, version, unknown subcommand and bad flags', async () => {
    const [help, version, bin, unknown, badPort] = await Promise.all([
      spawn(['src/cli.ts', 'server', '--help']),
      spawn(['src/cli.ts', 'version']),
      spawn(['bin/eks-pod-identity-agent', 'version']),
      spawn(['src/cli.ts', 'frobnicate']),
      spawn(['src/cli.ts', 'server', '-c', 'demo', '-p', '0'], { AWS_REGION: 'us-east-1' }),
    ]);
    expect(help.code).toBe(0);
    expect(help.stdout).toContain('--max-credential-retention-before-renewal DURATION');

    expect(version.code).toBe(0);
    expect(version.stdout).toStartWith(`${PROGRAM} ${VERSION} (bun `);
    expect(bin.code).toBe(0);
    expect(bin.stdout).toBe(version.stdout);

    expect(unknown.code).toBe(2);
    expect(unknown.stdout).toBe('');
    expect(unknown.stderr).toBe(`${PROGRAM}: unknown subcommand "frobnicate"; run '${PROGRAM} --help'\n`);

    expect(badPort.code).toBe(2);
    expect(badPort.stderr).toBe(`${PROGRAM}: invalid value "0" for --port: must be from 1 to 65535\n`);
  });
});

// `initialize` subcommand (init container, CAP_NET_ADMIN): gives the node the agent's link-local addresses.
import { UsageError } from '../cli/usage-error.ts';
import { createAddressSetup, type SetupResult } from './address-setup.ts';
import { INITIALIZE_HELP, type InitializeOptions, parseInitializeOptions } from './initialize-options.ts';
import { createIpRunner, type IpRunner } from './ip-runner.ts';
import { enableRequestMigration, REAL_SYSCTL, type SysctlIo } from './request-migration.ts';

export interface InitializeIo {
  /** One line of progress (stdout by default). */
  out?: (line: string) => void;
  /** One line of error (stderr by default). */
  err?: (line: string) => void;
  /** Replaces the real `ip` (tests). */
  ip?: IpRunner;
  readSysctl?: (path: string) => string | undefined;
  /** Waits between route checks while a new address is not routed yet (tests pass one that does not sleep). */
  wait?: (ms: number) => Promise<void>;
  /** Sysctls to write; default the real /proc/sys, but none when `ip` is replaced (tests never touch the host). */
  sysctl?: SysctlIo;
}

function summarise(result: SetupResult, options: InitializeOptions): string {
  const how =
    result.mode === 'link'
      ? `link ${result.device}`
      : `${result.device} (fallback: no ${options.linkType} links)`;
  const parts = [
    `IPv4 ${result.ipv4.address}/32 ${result.ipv4.ok ? 'ready' : `FAILED (${result.ipv4.detail})`}`,
  ];
  if (result.ipv6 === undefined) parts.push('IPv6 skipped');
  else
    parts.push(
      `IPv6 ${result.ipv6.address}/128 ${result.ipv6.ok ? 'ready' : `unavailable (${result.ipv6.detail})`}`,
    );
  const status = result.ipv4.ok ? 'ok' : 'failed';
  return `initialize: ${status}: on ${how}; ${parts.join('; ')}; ${result.changes} change(s)`;
}

/** Runs `initialize`; resolves with the exit code (0 ok, 1 IPv4 not in place, 2 bad flags). */
export async function runInitialize(argv: readonly string[], io: InitializeIo = {}): Promise<number> {
  const out = io.out ?? ((line: string) => process.stdout.write(`${line}\n`));
  const err = io.err ?? ((line: string) => process.stderr.write(`${line}\n`));
  let options: InitializeOptions;
  try {
    options = parseInitializeOptions(argv);
  } catch (e) {
    if (!(e instanceof UsageError)) throw e;
    err(`initialize: ${e.message}`);
    return 2;
  }
  if (options.help) {
    out(INITIALIZE_HELP.trimEnd());
    return 0;
  }
  const ip = io.ip ?? createIpRunner({ ipPath: options.ipPath });
  const setup = createAddressSetup({ ip, print: out, readSysctl: io.readSysctl, wait: io.wait });
  try {
    const result = await setup.run(options);
    const summary = summarise(result, options);
    if (!result.ipv4.ok) {
      err(summary);
      return 1;
    }
    // IPv6 trouble is one clear line, never fatal: the agent still serves IPv4 (the public agent's behaviour).
    if (result.ipv6 !== undefined && !result.ipv6.ok) {
      err(`initialize: warning: IPv6 address ${result.ipv6.address} not configured: ${result.ipv6.detail}`);
    }
    const sysctl = io.sysctl ?? (io.ip === undefined ? REAL_SYSCTL : undefined);
    if (sysctl !== undefined) {
      const migration = enableRequestMigration(sysctl);
      (migration.ok ? out : err)(`initialize: ${migration.ok ? '' : 'warning: '}${migration.line}`);
    }
    out(summary);
    return 0;
  } catch (e) {
    err(`initialize: failed: ${e instanceof Error ? e.message : String(e)}`);
    return 1;
  }
}

// Flags and config file of the `emulator` subcommand, turned into EmulatorOptions plus initial state.
import { readFileSync, statSync } from 'node:fs';
import {
  asObject,
  InputError,
  integerIn,
  parseAssociations,
  parseFaults,
  rejectUnknownFields,
} from './input-validation.ts';
import type { Association, EmulatorFaults, EmulatorOptions } from './types.ts';

export const EMULATOR_USAGE =
  'usage: emulator [--port N] [--host H] [--config FILE] [--kube-api-dir DIR]\n' +
  '  --port N       listen port, default 0 (a random free port; the chosen URL is printed)\n' +
  '  --host H       listen address, default 127.0.0.1\n' +
  '  --kube-api-dir DIR  also start the API-server stand-in (HTTPS, /openid/v1/jwks) and write an agent\n' +
  '                 service-account mount (token, ca.crt, namespace) to DIR; its URL is printed as kubeApi\n' +
  '  --config FILE  JSON: {credentialTtlSeconds, associations, faults, accessKeyId, secretAccessKey, sessionToken}';

const MAX_CONFIG_BYTES = 1024 * 1024;

export interface EmulatorCommandSettings {
  options: EmulatorOptions;
  associations: Association[] | undefined;
  faults: EmulatorFaults | undefined;
  /** --kube-api-dir: where the stand-in's service-account mount is written (the stand-in runs when set). */
  kubeApiDir?: string | undefined;
  help: boolean;
}

function optionalString(value: unknown, name: string): string | undefined {
  if (value === undefined) return undefined;
  if (typeof value !== 'string' || value.length === 0)
    throw new InputError(`${name} must be a non-empty string`);
  return value;
}

function loadConfigFile(path: string): Omit<EmulatorCommandSettings, 'help'> {
  let text: string;
  try {
    if (statSync(path).size > MAX_CONFIG_BYTES) throw new InputError(`--config ${path}: larger than 1 MiB`);
    text = readFileSync(path, 'utf8');
  } catch (err) {
    if (err instanceof InputError) throw err;
    throw new InputError(`--config ${path}: cannot read (${(err as NodeJS.ErrnoException).code ?? 'error'})`);
  }
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    throw new InputError(`--config ${path}: not valid JSON`);
  }
  const o = asObject(value, `--config ${path}`);
  const allowed = [
    'credentialTtlSeconds',
    'associations',
    'faults',
    'accessKeyId',
    'secretAccessKey',
    'sessionToken',
  ];
  rejectUnknownFields(o, allowed, `--config ${path}`);
  const options: EmulatorOptions = {};
  if (o.credentialTtlSeconds !== undefined) {
    options.credentialTtlSeconds = integerIn(o.credentialTtlSeconds, 1, 7 * 86_400, 'credentialTtlSeconds');
  }
  options.accessKeyId = optionalString(o.accessKeyId, 'accessKeyId');
  options.secretAccessKey = optionalString(o.secretAccessKey, 'secretAccessKey');
  options.sessionToken = optionalString(o.sessionToken, 'sessionToken');
  if ((options.accessKeyId === undefined) !== (options.secretAccessKey === undefined)) {
    throw new InputError('accessKeyId and secretAccessKey must be given together');
  }
  return {
    options,
    associations: o.associations === undefined ? undefined : parseAssociations(o.associations),
    faults: o.faults === undefined ? undefined : parseFaults(o.faults),
  };
}

/** Parses `--flag value` and `--flag=value`. Throws InputError with one clear line. */
export function parseEmulatorArgs(argv: readonly string[]): EmulatorCommandSettings {
  const flags = new Map<string, string>();
  let help = false;
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    if (arg === '--help' || arg === '-h') {
      help = true;
      continue;
    }
    const eq = arg.indexOf('=');
    const name = eq === -1 ? arg : arg.slice(0, eq);
    if (name !== '--port' && name !== '--host' && name !== '--config' && name !== '--kube-api-dir')
      throw new InputError(`unknown flag ${arg}`);
    if (flags.has(name)) throw new InputError(`${name} given twice`);
    const value = eq === -1 ? argv[++i] : arg.slice(eq + 1);
    if (value === undefined || value === '') throw new InputError(`${name} needs a value`);
    flags.set(name, value);
  }
  const fromFile = flags.has('--config')
    ? loadConfigFile(flags.get('--config')!)
    : { options: {}, associations: undefined, faults: undefined };
  const options: EmulatorOptions = { ...fromFile.options };
  const port = flags.get('--port');
  if (port !== undefined) {
    if (!/^\d{1,5}$/.test(port))
      throw new InputError(`--port must be an integer from 0 to 65535, got '${port}'`);
    options.port = integerIn(Number(port), 0, 65_535, '--port');
  }
  const host = flags.get('--host');
  if (host !== undefined) options.host = host.replace(/^\[(.*)\]$/, '$1');
  const kubeApiDir = flags.get('--kube-api-dir');
  if (kubeApiDir !== undefined) options.kubeApi = true;
  return { ...fromFile, options, kubeApiDir, help };
}

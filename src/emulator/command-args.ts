// Flags and config file of the `emulator` subcommand, turned into EmulatorOptions plus initial state.
import { readFileSync, statSync } from 'node:fs';
import { type FlagSpec, HELP_FLAG, readFlags } from '../cli/flag-parser.ts';
import { formatHelp } from '../cli/help.ts';
import { UsageError } from '../cli/usage-error.ts';
import {
  asObject,
  InputError,
  integerIn,
  parseAssociations,
  parseFaults,
  rejectUnknownFields,
} from './input-validation.ts';
import type { Association, EmulatorFaults, EmulatorOptions } from './types.ts';

const EMULATOR_FLAGS = [
  {
    name: 'port',
    kind: 'value',
    valueName: 'N',
    once: true,
    help: 'Listen port; 0 is a random free port (the chosen URL is printed).',
    default: '0',
  },
  { name: 'host', kind: 'value', valueName: 'H', once: true, help: 'Listen address.', default: '127.0.0.1' },
  {
    name: 'config',
    kind: 'value',
    valueName: 'FILE',
    once: true,
    help: 'JSON: {credentialTtlSeconds, associations, faults, accessKeyId, secretAccessKey, sessionToken}.',
  },
  {
    name: 'kube-api-dir',
    kind: 'value',
    valueName: 'DIR',
    once: true,
    help:
      'Also start the API-server stand-in (HTTPS, /openid/v1/jwks) and write an agent service-account mount ' +
      '(token, ca.crt, namespace) to DIR; its URL is printed as kubeApi.',
  },
  HELP_FLAG,
] as const satisfies readonly FlagSpec[];

export const EMULATOR_USAGE = formatHelp({
  usage: 'emulator [--port N] [--host H] [--config FILE] [--kube-api-dir DIR]',
  about: ['A local EKS Auth (REST-JSON, SigV4 checked) and token issuer, until SIGINT or SIGTERM.'],
  flags: EMULATOR_FLAGS,
  notes: ['Exit status: 0 after a clean stop, 1 when it cannot start, 2 for bad flags or config.'],
});

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

/** Parses the flags and the --config file. Throws UsageError with one clear line. */
export function parseEmulatorArgs(argv: readonly string[]): EmulatorCommandSettings {
  try {
    return readSettings(argv);
  } catch (err) {
    // The config file is checked by the admin API's validators; here their errors are usage errors.
    if (err instanceof InputError) throw new UsageError(err.message, { cause: err });
    throw err;
  }
}

function readSettings(argv: readonly string[]): EmulatorCommandSettings {
  const flags = readFlags(argv, EMULATOR_FLAGS);
  const nonEmpty = <T extends string | undefined>(name: string, value: T): T => {
    if (value === '') throw new UsageError(`--${name} needs a value`);
    return value;
  };
  const given = (name: 'config' | 'kube-api-dir') => nonEmpty(name, flags.given(name));
  const configFile = given('config');
  const fromFile =
    configFile !== undefined
      ? loadConfigFile(configFile)
      : { options: {}, associations: undefined, faults: undefined };
  const options: EmulatorOptions = { ...fromFile.options };
  // The table's defaults are the emulator's own, so help and behaviour agree.
  const port = nonEmpty('port', flags.value('port'));
  if (!/^\d{1,5}$/.test(port))
    throw new UsageError(`--port must be an integer from 0 to 65535, got '${port}'`);
  options.port = integerIn(Number(port), 0, 65_535, '--port');
  options.host = nonEmpty('host', flags.value('host')).replace(/^\[(.*)\]$/, '$1');
  const kubeApiDir = given('kube-api-dir');
  if (kubeApiDir !== undefined) options.kubeApi = true;
  return { ...fromFile, options, kubeApiDir, help: flags.isOn('help') };
}

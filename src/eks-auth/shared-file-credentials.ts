// Static credentials from the shared credentials file, for --rotate-credentials (hybrid nodes: nodeadm or the
// IAM Roles Anywhere helper rewrites /eks-hybrid/.aws/credentials with a fresh key pair and session token).
// Loading @aws-sdk/credential-provider-ini to read three keys out of one section costs an agent ~3.5 MB of RSS,
// so the plain case is read here, with the SDK's ini rules (@smithy/core's parseIni: `#`/`;` comments at a line's
// start or after whitespace, `[section]` headers, `key = value`, an empty value opening a sub-section, later
// keys overriding earlier ones, `~/` in the path from the home directory), and anything else goes to the SDK:
// a config file that could add to the profile, a profile with any key besides static credentials (role_arn,
// credential_process, sso_*, ...), a missing profile, an unreadable or oversized file.
import type { AwsCredentialIdentity } from '@smithy/types';
import { fsPromises } from '../shared/builtins.ts';
import { expandHome } from './imds-credentials.ts';

type Environment = Readonly<Record<string, string | undefined>>;

/** The keys a static profile may hold (the SDK's isStaticCredsProfile and resolveStaticCredentials). */
const STATIC_KEYS = new Set([
  'aws_access_key_id',
  'aws_secret_access_key',
  'aws_session_token',
  'aws_account_id',
  'aws_credential_scope',
]);
/** The SDK's section prefixes (IniSectionType): `[profile x]` is the section `profile.x`. */
const SECTION_PREFIXES = new Set(['profile', 'sso-session', 'services']);
const PREFIXED_SECTION = /^([\w-]+)\s(["'])?([\w-@+.%:/]+)\2$/;
/** Sections the SDK refuses with an error: left to it. */
const BLOCKED_SECTIONS = new Set(['__proto__', 'profile __proto__']);
/** A credentials file is a few hundred bytes; a larger one is left to the SDK. */
const MAX_FILE_BYTES = 1024 * 1024;

/** A line without its comment: from the first `#` or `;` at the start or after whitespace (the SDK's split). */
function withoutComment(line: string): string {
  for (let i = 0; i < line.length; i++) {
    const c = line.charCodeAt(i);
    if ((c === 0x23 || c === 0x3b) && (i === 0 || /\s/.test(line[i - 1]!))) return line.slice(0, i);
  }
  return line;
}

/**
 * The ini text's sections as the SDK's parseIni builds them (sub-section keys as `sub.key`), or undefined when
 * the SDK would throw (a blocked section name).
 */
export function parseIniSections(text: string): Map<string, Map<string, string>> | undefined {
  const sections = new Map<string, Map<string, string>>();
  let section: string | undefined;
  let subSection: string | undefined;
  for (const rawLine of text.split(/\r?\n/)) {
    const line = withoutComment(rawLine).trim();
    if (line.startsWith('[') && line.endsWith(']') && line.length >= 2) {
      section = undefined;
      subSection = undefined;
      const name = line.slice(1, -1);
      const prefixed = PREFIXED_SECTION.exec(name);
      if (prefixed) {
        if (SECTION_PREFIXES.has(prefixed[1]!)) section = `${prefixed[1]}.${prefixed[3]}`;
      } else section = name;
      if (BLOCKED_SECTIONS.has(name)) return undefined;
      continue;
    }
    if (section === undefined) continue;
    const eq = line.indexOf('=');
    if (eq <= 0) continue;
    const key = line.slice(0, eq).trim();
    const value = line.slice(eq + 1).trim();
    if (value === '') {
      subSection = key;
      continue;
    }
    if (subSection !== undefined && rawLine.trimStart() === rawLine) subSection = undefined;
    let keys = sections.get(section);
    if (keys === undefined) {
      keys = new Map();
      sections.set(section, keys);
    }
    keys.set(subSection === undefined ? key : `${subSection}.${key}`, value);
  }
  return sections;
}

/** The profile's static credentials, when that is all the profile is; undefined leaves it to the SDK. */
export function staticProfileCredentials(text: string, profile: string): AwsCredentialIdentity | undefined {
  const keys = parseIniSections(text)?.get(profile);
  if (keys === undefined) return undefined;
  for (const key of keys.keys()) if (!STATIC_KEYS.has(key)) return undefined;
  const accessKeyId = keys.get('aws_access_key_id');
  const secretAccessKey = keys.get('aws_secret_access_key');
  if (accessKeyId === undefined || secretAccessKey === undefined) return undefined;
  const sessionToken = keys.get('aws_session_token');
  const credentialScope = keys.get('aws_credential_scope');
  const accountId = keys.get('aws_account_id');
  return {
    accessKeyId,
    secretAccessKey,
    ...(sessionToken === undefined ? {} : { sessionToken }),
    ...(credentialScope ? { credentialScope } : {}),
    ...(accountId ? { accountId } : {}),
  };
}

export interface SharedFileInputs {
  readonly env: Environment;
  /** --rotate-credentials' file, when the caller names one; else AWS_SHARED_CREDENTIALS_FILE or ~/.aws/credentials. */
  readonly filepath: string | undefined;
  readonly home: string;
  readonly fileExists: (path: string) => boolean;
}

/**
 * The shared file's static credentials for AWS_PROFILE (or `default`), read now; undefined when the SDK's ini
 * provider has to decide (see the header).
 */
export async function readStaticSharedFile(
  inputs: SharedFileInputs,
): Promise<AwsCredentialIdentity | undefined> {
  const { env, home } = inputs;
  const configFile = expandHome(env['AWS_CONFIG_FILE'] || `${home}/.aws/config`, home);
  if (inputs.fileExists(configFile)) return undefined;
  const file = expandHome(
    inputs.filepath ?? (env['AWS_SHARED_CREDENTIALS_FILE'] || `${home}/.aws/credentials`),
    home,
  );
  let text: string;
  try {
    const { readFile, stat } = fsPromises();
    if ((await stat(file)).size > MAX_FILE_BYTES) return undefined;
    text = await readFile(file, 'utf8');
  } catch {
    return undefined;
  }
  return staticProfileCredentials(text, env['AWS_PROFILE'] || 'default');
}

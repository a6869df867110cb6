// Static credentials from the shared credentials file without the SDK (--rotate-credentials, hybrid nodes):
// every file here is also read by the SDK's own fromIni, and where we answer, we answer what it answers; where
// the profile is anything but static keys we leave it to the SDK, which then really answers (credential_process).
import { afterAll, describe, expect, test } from 'bun:test';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fromIni } from '@aws-sdk/credential-provider-ini';
import { createManualClock } from '../../src/clock.ts';
import { createNodeCredentials } from '../../src/eks-auth/node-credentials.ts';
import {
  parseIniSections,
  readStaticSharedFile,
  staticProfileCredentials,
} from '../../src/eks-auth/shared-file-credentials.ts';
import { createLogger } from '../../src/observability/logger.ts';

const dir = mkdtempSync(join(tmpdir(), 'shared-file-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
let serial = 0;
function file(text: string): string {
  const path = join(dir, `credentials-${++serial}`);
  writeFileSync(path, text);
  return path;
}
const NO_CONFIG = join(dir, 'no-such-config');

/** What the SDK's fromIni answers for this file and profile (its fields), or the error's message. */
async function sdk(path: string, profile: string) {
  try {
    const c = await fromIni({ filepath: path, configFilepath: NO_CONFIG, ignoreCache: true, profile })();
    return {
      accessKeyId: c.accessKeyId,
      secretAccessKey: c.secretAccessKey,
      ...(c.sessionToken === undefined ? {} : { sessionToken: c.sessionToken }),
      ...(c.credentialScope === undefined ? {} : { credentialScope: c.credentialScope }),
      ...(c.accountId === undefined ? {} : { accountId: c.accountId }),
    };
  } catch (err) {
    return { error: (err as Error).message };
  }
}

const STATIC = [
  [
    "the hybrid helpers' file",
    '[default]\naws_access_key_id = AKIAHYB\naws_secret_access_key = s3cr3t\naws_session_token = tok\n',
    'default',
  ],
  ['CRLF line ends', '[default]\r\naws_access_key_id=AKIACRLF\r\naws_secret_access_key=s\r\n', 'default'],
  [
    'comments: whole lines, after whitespace, and # inside a value kept',
    '# written by a helper\n; another\n[default] # trailing\naws_access_key_id = AKIAC#1 ; note\naws_secret_access_key = a#b\n',
    'default',
  ],
  [
    'a section given twice merges, later keys win',
    '[default]\naws_access_key_id = OLD\n[other]\naws_access_key_id = X\naws_secret_access_key = Y\n[default]\naws_access_key_id = NEW\naws_secret_access_key = S\n',
    'default',
  ],
  [
    'AWS_PROFILE selects another section',
    '[default]\naws_access_key_id = D\naws_secret_access_key = D\n[node]\naws_access_key_id = N\naws_secret_access_key = NS\n',
    'node',
  ],
  [
    'account id and credential scope',
    '[default]\naws_access_key_id = A\naws_secret_access_key = S\naws_account_id = 111122223333\naws_credential_scope = us-west-2\n',
    'default',
  ],
  [
    'indentation and spaces around =',
    '  [default]  \n   aws_access_key_id   =   SP  \n\taws_secret_access_key=\tS\n',
    'default',
  ],
] as const;

const LEFT_TO_THE_SDK = [
  [
    'another key besides credentials (region)',
    '[default]\naws_access_key_id = A\naws_secret_access_key = S\nregion = us-west-2\n',
    'default',
  ],
  [
    'an assume-role profile',
    '[default]\nrole_arn = arn:aws:iam::1:role/r\nsource_profile = base\n[base]\naws_access_key_id = A\naws_secret_access_key = S\n',
    'default',
  ],
  ['a missing secret', '[default]\naws_access_key_id = A\n', 'default'],
  ['no such profile', '[default]\naws_access_key_id = A\naws_secret_access_key = S\n', 'missing'],
  [
    '[profile x] is not section x in a credentials file',
    '[profile node]\naws_access_key_id = A\naws_secret_access_key = S\n',
    'node',
  ],
  [
    'a sub-section',
    '[default]\naws_access_key_id = A\naws_secret_access_key = S\ns3 =\n  max_concurrent_requests = 10\n',
    'default',
  ],
  [
    'a blocked section name',
    '[__proto__]\nx = 1\n[default]\naws_access_key_id = A\naws_secret_access_key = S\n',
    'default',
  ],
  ['an empty file', '', 'default'],
] as const;

describe('static profiles: the same answer as the SDK', () => {
  test.each(STATIC)('%s', async (_name, text, profile) => {
    const ours = staticProfileCredentials(text, profile);
    expect(ours).toBeDefined();
    expect(ours).toEqual((await sdk(file(text), profile)) as never);
  });
});

describe('anything else is left to the SDK', () => {
  test.each(LEFT_TO_THE_SDK)('%s', (_name, text, profile) => {
    expect(staticProfileCredentials(text, profile)).toBeUndefined();
  });

  test('parseIniSections keys sub-sections and prefixed sections as the SDK does', () => {
    const sections = parseIniSections(
      '[profile a]\nk = v\ns3 =\n  x = 1\ny = 2\n[sso-session s]\nu = w\n[weird x]\nq = 1\n',
    );
    expect(sections?.get('profile.a')).toEqual(
      new Map([
        ['k', 'v'],
        ['s3.x', '1'],
        ['y', '2'],
      ]),
    );
    expect(sections?.get('sso-session.s')).toEqual(new Map([['u', 'w']]));
    expect([...(sections?.keys() ?? [])]).toEqual(['profile.a', 'sso-session.s']);
  });

  test('a config file, an unreadable file or an oversized one: the SDK decides', async () => {
    const path = file('[default]\naws_access_key_id = A\naws_secret_access_key = S\n');
    const inputs = { env: {}, filepath: path, home: dir, fileExists: () => false };
    expect(await readStaticSharedFile(inputs)).toEqual({ accessKeyId: 'A', secretAccessKey: 'S' });
    expect(await readStaticSharedFile({ ...inputs, fileExists: () => true })).toBeUndefined();
    expect(await readStaticSharedFile({ ...inputs, filepath: join(dir, 'missing') })).toBeUndefined();
    const big = file(
      `[default]\naws_access_key_id = A\naws_secret_access_key = S\n#${'x'.repeat(1024 * 1024)}\n`,
    );
    expect(await readStaticSharedFile({ ...inputs, filepath: big })).toBeUndefined();
  });

  test('~/ in AWS_SHARED_CREDENTIALS_FILE is the home directory; AWS_PROFILE picks the section', async () => {
    writeFileSync(join(dir, 'home-creds'), '[node]\naws_access_key_id = H\naws_secret_access_key = S\n');
    const got = await readStaticSharedFile({
      env: { AWS_SHARED_CREDENTIALS_FILE: '~/home-creds', AWS_PROFILE: 'node' },
      filepath: undefined,
      home: dir,
      fileExists: () => false,
    });
    expect(got).toEqual({ accessKeyId: 'H', secretAccessKey: 'S' });
  });
});

describe('--rotate-credentials through createNodeCredentials', () => {
  function logged() {
    const lines: string[] = [];
    return { logger: createLogger('info', { write: (l: string) => void lines.push(l) }), lines };
  }

  test('a static file is read without the SDK, re-read on rotation, and the source said once', async () => {
    const path = file('[default]\naws_access_key_id = K1\naws_secret_access_key = S\n');
    const clock = createManualClock();
    const { logger, lines } = logged();
    const get = createNodeCredentials({
      rotateCredentials: true,
      credentialsFile: path,
      env: { HOME: dir },
      fileExists: () => false,
      rotationIntervalMs: 60_000,
      clock,
      logger,
    });
    expect((await get()).accessKeyId).toBe('K1');
    writeFileSync(path, '[default]\naws_access_key_id = K2\naws_secret_access_key = S\n');
    clock.advance(60_000);
    expect((await get()).accessKeyId).toBe('K2');
    expect(lines.filter((l) => l.includes('"source":"shared-file"'))).toHaveLength(1);
    expect(lines.join('')).not.toContain('"secretAccessKey"');
  });

  test('a credential_process profile goes to the SDK, which runs the process', async () => {
    const doc = JSON.stringify({
      Version: 1,
      AccessKeyId: 'AKIAPROC',
      SecretAccessKey: 'p',
      SessionToken: 't',
    });
    const script = join(dir, 'creds.sh');
    writeFileSync(script, `#!/bin/sh\necho '${doc}'\n`, { mode: 0o755 });
    const path = file(`[default]\ncredential_process = ${script}\n`);
    const { logger, lines } = logged();
    const get = createNodeCredentials({
      rotateCredentials: true,
      credentialsFile: path,
      env: { HOME: dir },
      fileExists: () => false,
      clock: createManualClock(),
      logger,
    });
    expect(await get()).toMatchObject({ accessKeyId: 'AKIAPROC', sessionToken: 't' });
    expect(lines.join('')).toContain('"source":"sdk-ini"');
  });
});

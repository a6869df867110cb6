// Which host the agent really dials for EKS Auth, per partition and FIPS setting: the `server` process runs
// with HTTPS_PROXY pointing at a loopback proxy that records every CONNECT target and tunnels it to a TLS
// front (certificate from a test CA, trusted only through AWS_CA_BUNDLE) in front of the emulator. The same
// table is checked against botocore's own endpoint resolver, and the partition data against the JS SDK's.
import { afterAll, beforeAll, describe, expect, test } from 'bun:test';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { partition as sdkPartition } from '@aws-sdk/core/client';
import { loadSdkPartitions, toAgentPartitions } from '../../scripts/sdk-partitions.ts';
import partitionsFile from '../../src/eks-auth/partitions.json' with { type: 'json' };
import { defaultEksAuthEndpoint, partitionOf } from '../../src/eks-auth/partitions.ts';
import {
  DEFAULT_ACCESS_KEY_ID,
  DEFAULT_SECRET_ACCESS_KEY,
  type Emulator,
  startEmulator,
} from '../../src/emulator/index.ts';
import { type RecordingProxy, startRecordingProxy } from '../helpers/connect-proxy.ts';
import { freePort } from '../helpers/free-port.ts';

const CLI = resolve(import.meta.dir, '../../src/cli.ts');

// [region, AWS_USE_FIPS_ENDPOINT, the host EKS Auth is reached at]
const TABLE = [
  ['us-west-2', false, 'eks-auth.us-west-2.api.aws'],
  ['eu-central-1', false, 'eks-auth.eu-central-1.api.aws'],
  ['cn-north-1', false, 'eks-auth.cn-north-1.api.amazonwebservices.com.cn'],
  ['us-gov-west-1', false, 'eks-auth.us-gov-west-1.api.aws'],
  ['us-iso-east-1', false, 'eks-auth.us-iso-east-1.api.aws.ic.gov'],
  ['us-isob-east-1', false, 'eks-auth.us-isob-east-1.api.aws.scloud'],
  ['us-west-2', true, 'eks-auth-fips.us-west-2.api.aws'],
  ['us-gov-east-1', true, 'eks-auth-fips.us-gov-east-1.api.aws'],
  ['cn-northwest-1', true, 'eks-auth-fips.cn-northwest-1.api.amazonwebservices.com.cn'],
  ['us-iso-east-1', true, 'eks-auth-fips.us-iso-east-1.api.aws.ic.gov'],
] as const;

describe('partition data', () => {
  test('src/eks-auth/partitions.json is what scripts/update-partitions.ts makes from the installed SDK', async () => {
    expect(partitionsFile).toEqual(toAgentPartitions(await loadSdkPartitions()));
  });

  test('every region and a few unlisted ones resolve to the partition the JS SDK resolves', () => {
    const regions = [
      ...partitionsFile.partitions.flatMap((p) => p.regions),
      'us-east-9',
      'cn-south-7',
      'us-gov-north-5',
      'us-iso-north-3',
      'us-isob-west-4',
      'xx-nowhere-1',
    ];
    for (const region of regions) {
      const ours = partitionOf(region);
      const sdk = sdkPartition(region);
      expect({
        region,
        id: ours.id,
        dns: ours.dnsSuffix,
        dual: ours.dualStackDnsSuffix,
        fips: ours.supportsFIPS,
      }).toEqual({
        region,
        id: sdk.name,
        dns: sdk.dnsSuffix,
        dual: sdk.dualStackDnsSuffix,
        fips: sdk.supportsFIPS,
      });
    }
  });

  test("the endpoint table is botocore's: its EKS Auth endpoint rules over its own partition data", async () => {
    const script = `
import json, sys, botocore.session
from botocore.config import Config
s = botocore.session.get_session()
out = []
for region, fips in json.loads(sys.argv[1]):
    c = s.create_client('eks-auth', region_name=region, aws_access_key_id='a', aws_secret_access_key='b',
                        config=Config(use_fips_endpoint=fips))
    op = c.meta.service_model.operation_model('AssumeRoleForPodIdentity')
    out.append(c._ruleset_resolver.construct_endpoint(operation_model=op, call_args={}, request_context={}).url)
print(json.dumps(out))`;
    const run = Bun.spawnSync(['python3', '-c', script, JSON.stringify(TABLE.map(([r, f]) => [r, f]))]);
    expect(run.stderr.toString()).toBe('');
    const botocore = JSON.parse(run.stdout.toString()) as string[];
    expect(botocore).toEqual(TABLE.map(([, , host]) => `https://${host}`));
    expect(TABLE.map(([region, useFips]) => defaultEksAuthEndpoint(region, { useFips }))).toEqual(botocore);
  });
});

describe('the host the agent really connects to', () => {
  let emulator: Emulator;
  let proxy: RecordingProxy;
  let dir = '';
  let caFile = '';

  beforeAll(async () => {
    emulator = await startEmulator();
    proxy = await startRecordingProxy(emulator.url, [...new Set(TABLE.map(([, , host]) => host))]);
    dir = mkdtempSync(join(tmpdir(), 'endpoint-'));
    caFile = join(dir, 'ca-bundle.crt');
    writeFileSync(caFile, proxy.caPem);
  });
  afterAll(async () => {
    await proxy.stop();
    await emulator.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  /** Starts `server` with the node's environment, asks for credentials once, stops it. */
  async function askOnce(region: string, env: Record<string, string>) {
    const port = freePort();
    const child = Bun.spawn(
      [
        process.execPath,
        CLI,
        'server',
        '-c',
        'endpoint-test',
        '-b',
        '127.0.0.1',
        '-p',
        String(port),
        '--probe-port',
        String(freePort()),
        '--metrics-address=127.0.0.1',
        `--metrics-port=${freePort()}`,
        '--verify-tokens=claims',
        '--client-patience=3s',
      ],
      {
        env: {
          PATH: process.env['PATH'] ?? '',
          HOME: process.env['HOME'] ?? '/root',
          AWS_REGION: region,
          AWS_ACCESS_KEY_ID: DEFAULT_ACCESS_KEY_ID,
          AWS_SECRET_ACCESS_KEY: DEFAULT_SECRET_ACCESS_KEY,
          AWS_EC2_METADATA_DISABLED: 'true',
          HTTPS_PROXY: proxy.url,
          ...env,
        },
        stdout: 'pipe',
        stderr: 'pipe',
      },
    );
    try {
      let out = '';
      const reader = child.stdout.getReader();
      while (!out.includes('"agent started"')) {
        const { value, done } = await reader.read();
        if (done) throw new Error(`agent exited: ${out}${await new Response(child.stderr).text()}`);
        out += new TextDecoder().decode(value);
      }
      const started = JSON.parse(out.split('\n').find((l) => l.includes('"agent started"'))!) as {
        endpoint: string;
      };
      const token = await emulator.issueToken({
        namespace: 'default',
        serviceAccount: 'app',
        podName: region,
      });
      const res = await fetch(`http://127.0.0.1:${port}/v1/credentials`, {
        headers: { authorization: token },
        proxy: false,
      } as RequestInit);
      return { status: res.status, body: await res.text(), printed: started.endpoint };
    } finally {
      child.kill('SIGTERM');
      await child.exited;
    }
  }

  test.each(TABLE)(
    '%s (FIPS %p): CONNECT %s:443, endpoint printed at start, credentials served',
    async (region, fips, host) => {
      const before = proxy.targets.length;
      const r = await askOnce(region, { AWS_CA_BUNDLE: caFile, AWS_USE_FIPS_ENDPOINT: String(fips) });
      expect(r.printed).toBe(`https://${host}`);
      expect(proxy.targets.slice(before)).toEqual([`${host}:443`]);
      expect(r.status).toBe(200);
      expect(JSON.parse(r.body)).toHaveProperty('AccessKeyId');
    },
  );

  test('without AWS_CA_BUNDLE the same endpoint is dialled but its certificate is not trusted: no credentials', async () => {
    const before = proxy.targets.length;
    const r = await askOnce('us-iso-east-1', {});
    expect(proxy.targets.slice(before)[0]).toBe('eks-auth.us-iso-east-1.api.aws.ic.gov:443');
    expect(r.status).toBeGreaterThanOrEqual(500);
    expect(r.body).not.toContain('AccessKeyId');
  });
});

// The rows of the SDK matrix: real clients that run on this machine and client models of those that do not.
// Each row runs a whole job (many pods at once) in its own driver process and returns one outcome per pod.
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { goBinary } from './clients/go-binary.ts';
import type { Job, Outcome } from './clients/job.ts';
import { attemptMs, type ClientModel } from './models/client-model.ts';
import { MODELS } from './models/index.ts';

export interface Row {
  id: string;
  label: string;
  kind: 'real' | 'model';
  /** The SDK (and version) or the source files a model follows. */
  source: string;
  /** The longest the client keeps trying on one load (Infinity: it sets no read timeout), from the facts. */
  windowMs: number;
  /**
   * The random parts of that window: per retry, the most a uniform random delay in [0, max) can add (windowMs
   * counts them at their maximum). Each pod draws its own, so most pods' windows are shorter than windowMs.
   */
  jitterMs?: readonly number[];
  /** What of the agent's error reaches the SDK's caller: the body's code, only the status, or nothing. */
  surfaces: 'code' | 'status' | 'nothing';
  run(job: Job): Promise<Outcome[]>;
}

const CLIENTS_DIR = join(import.meta.dir, 'clients');
/** A driver that has not answered after this long is killed: no cell may hang the matrix. */
const DRIVER_TIMEOUT_MS = 180_000;
const INF = Number.POSITIVE_INFINITY;

let emptyHome: string | undefined;

/** A pod's environment without the bench's own AWS settings: no keys, no profile, an empty HOME. */
function podEnv(): Record<string, string> {
  emptyHome ??= mkdtempSync(join(tmpdir(), 'pia-sdk-home-'));
  const home = emptyHome;
  return {
    PATH: process.env['PATH'] ?? '/usr/local/bin:/usr/bin:/bin',
    HOME: home,
    AWS_REGION: 'us-west-2',
    AWS_EC2_METADATA_DISABLED: 'true',
    AWS_SDK_JS_SUPPRESS_MAINTENANCE_MODE_MESSAGE: '1',
    // The matrix's --trace: where a model driver writes its pods' attempts.
    ...(process.env['PIA_CLIENT_TRACE'] && { PIA_CLIENT_TRACE: process.env['PIA_CLIENT_TRACE'] }),
  };
}

async function runDriver(cmd: string[], job: Job): Promise<Outcome[]> {
  const proc = Bun.spawn(cmd, { env: podEnv(), stdin: 'pipe', stdout: 'pipe', stderr: 'pipe' });
  proc.stdin.write(JSON.stringify(job));
  await proc.stdin.end();
  const timer = setTimeout(() => proc.kill('SIGKILL'), DRIVER_TIMEOUT_MS);
  const [out, err, code] = await Promise.all([
    new Response(proc.stdout).text(),
    new Response(proc.stderr).text(),
    proc.exited,
  ]);
  clearTimeout(timer);
  const last = out.trim().split('\n').at(-1) ?? '';
  if (code !== 0 || !last.startsWith('[')) {
    throw new Error(`${cmd.slice(0, 3).join(' ')} exited ${code}: ${err.slice(-2000)}`);
  }
  return JSON.parse(last) as Outcome[];
}

/** The real JS SDKs run under Node, as in a pod; the models under Bun. */
const jsSdkDriver = (id: string) => (job: Job) =>
  runDriver(['node', join(CLIENTS_DIR, 'js_sdk_driver.mjs'), id], job);
const modelDriver = (id: string) => (job: Job) =>
  runDriver([process.execPath, join(CLIENTS_DIR, 'model-driver.ts'), id], job);

const goDriver = (sdk: 'v1' | 'v2') => async (job: Job) =>
  runDriver([await goBinary()], { ...job, sdk } as Job);

function modelRow(id: string, model: ClientModel): Row {
  let windowMs = model.attempts * attemptMs(model);
  for (const d of model.delaysMs) windowMs += d;
  return {
    id,
    label: `${model.name} (model)`,
    kind: 'model',
    source: model.source,
    surfaces: model.surfaces,
    windowMs,
    ...(model.jitter && { jitterMs: model.delaysMs }),
    run: modelDriver(id),
  };
}

export const ROWS: readonly Row[] = [
  {
    id: 'js-v3-from-http',
    surfaces: 'code',
    label: 'JS v3 fromHttp',
    kind: 'real',
    source: '@aws-sdk/credential-provider-http (npm)',
    windowMs: INF,
    run: jsSdkDriver('js-v3-from-http'),
  },
  {
    id: 'js-v3-default-chain',
    surfaces: 'nothing',
    label: 'JS v3 default chain',
    kind: 'real',
    source: '@aws-sdk/credential-provider-node defaultProvider (npm)',
    windowMs: INF,
    run: jsSdkDriver('js-v3-default-chain'),
  },
  {
    id: 'js-v2',
    surfaces: 'nothing',
    label: 'JS v2',
    kind: 'real',
    source: 'aws-sdk RemoteCredentials (npm)',
    // aws-sdk 2.1693 lib/credentials/remote_credentials.js: httpOptions.timeout 1000 ms, maxRetries 3, so 4
    // attempts; lib/util.js handleRequestWithRetries sleeps calculateRetryDelay before retry n (0-based):
    // random() x 2^n x 100 ms (base 100), so at most 100, 200 and 400 ms, each pod drawing its own (a mean
    // window of 4.35 s). (A Retry-After would add to that; the agent sends none on a held miss.)
    windowMs: 4 * 1000 + 100 + 200 + 400,
    jitterMs: [100, 200, 400],
    run: jsSdkDriver('js-v2'),
  },
  {
    id: 'botocore',
    surfaces: 'code',
    label: 'botocore',
    kind: 'real',
    source: 'botocore ContainerProvider (python3)',
    // 3 attempts of 2 s, 1 s sleep between.
    windowMs: 3 * 2000 + 2 * 1000,
    run: (job) => runDriver(['python3', join(CLIENTS_DIR, 'botocore_container_credentials.py')], job),
  },
  {
    id: 'go-v2',
    surfaces: 'code',
    label: 'Go v2',
    kind: 'real',
    source: 'aws-sdk-go-v2 1.17 config default chain (Debian)',
    windowMs: INF,
    run: goDriver('v2'),
  },
  {
    id: 'go-v1',
    surfaces: 'nothing',
    label: 'Go v1',
    kind: 'real',
    source: 'aws-sdk-go 1.44 defaults.CredChain (Debian)',
    windowMs: INF,
    run: goDriver('v1'),
  },
  {
    id: 'ruby-ecs',
    surfaces: 'nothing',
    label: 'Ruby ECSCredentials',
    kind: 'real',
    source: 'aws-sdk-core 3.168 Aws::ECSCredentials, explicit (Debian)',
    // 6 attempts of a 5 s read, sleeping 1.2**n s between.
    windowMs: 6 * 5000 + 1000 * (1 + 1.2 + 1.44 + 1.728 + 2.0736),
    run: (job) => runDriver(['ruby', join(CLIENTS_DIR, 'ruby_ecs_credentials.rb')], job),
  },
  ...Object.entries(MODELS).map(([id, model]) => modelRow(id, model)),
];

export function rowById(id: string): Row {
  const row = ROWS.find((r) => r.id === id);
  if (!row) throw new Error(`unknown row ${id}; rows: ${ROWS.map((r) => r.id).join(', ')}`);
  return row;
}

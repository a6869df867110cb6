// Driver process for the JavaScript rows of the SDK matrix: the real JS SDK v3 (fromHttp, and the default
// chain of credential-provider-node), the real JS SDK v2 (aws-sdk RemoteCredentials), and the client models.
// Usage: bun bench/sdk-matrix/clients/js-driver.ts <row-id> < job.json  -> JSON array of outcomes.
import { fromHttp } from '@aws-sdk/credential-provider-http';
import { defaultProvider } from '@aws-sdk/credential-provider-node';
import { loadCredentials } from '../models/client-model.ts';
import { MODELS } from '../models/index.ts';
import { type Job, type Outcome, runPods } from './job.ts';

type Loader = (job: Job) => (i: number) => Promise<void>;

function checked(creds: { accessKeyId?: string }): void {
  if (!creds.accessKeyId) throw new Error('credentials without an access key');
}

/** aws-sdk v2 reads the URI and the token file from process.env when a refresh starts (synchronously). */
async function jsV2(job: Job): Promise<(i: number) => Promise<void>> {
  process.env['AWS_SDK_JS_SUPPRESS_MAINTENANCE_MODE_MESSAGE'] = '1';
  const AWS = (await import('aws-sdk')).default;
  return (i) => {
    process.env['AWS_CONTAINER_CREDENTIALS_FULL_URI'] = job.url;
    process.env['AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE'] = job.tokenFiles[i]!;
    const creds = new AWS.RemoteCredentials();
    // getPromise starts the refresh (and reads the environment) before returning.
    const pending = creds.getPromise();
    return pending.then(() => checked(creds));
  };
}

const LOADERS: Record<string, Loader> = {
  'js-v3-from-http': (job) => async (i) =>
    checked(
      await fromHttp({
        awsContainerCredentialsFullUri: job.url,
        awsContainerAuthorizationTokenFile: job.tokenFiles[i],
      })(),
    ),
  // The chain picks its container provider from process.env (the URI); the token file comes through init.
  'js-v3-default-chain': (job) => {
    process.env['AWS_CONTAINER_CREDENTIALS_FULL_URI'] = job.url;
    return async (i) =>
      checked(await defaultProvider({ awsContainerAuthorizationTokenFile: job.tokenFiles[i] })());
  },
};

const row = process.argv[2] ?? '';
const job = (await Bun.stdin.json()) as Job;
const model = MODELS[row];
let load: (i: number) => Promise<void>;
if (model) load = (i) => loadCredentials(model, job.url, job.tokenFiles[i]!);
else if (row === 'js-v2') load = await jsV2(job);
else if (LOADERS[row]) load = LOADERS[row](job);
else throw new Error(`unknown JS row: ${row}`);
const outcomes: Outcome[] = await runPods(job.tokens.length, load);
process.stdout.write(`${JSON.stringify(outcomes)}\n`);

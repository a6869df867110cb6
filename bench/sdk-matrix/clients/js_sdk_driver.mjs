// SDK matrix driver for the real JavaScript SDKs, run under Node (what pods run them on): JS v3 fromHttp
// (@aws-sdk/credential-provider-http), the JS v3 default chain (@aws-sdk/credential-provider-node) and JS v2
// (aws-sdk RemoteCredentials). Plain JavaScript so Node 20 runs it without a TypeScript loader.
// Usage: node js_sdk_driver.mjs <row-id> < job.json  -> one JSON array of {ok, ms, error?} per pod.
import { AsyncLocalStorage } from 'node:async_hooks';
import { Agent } from 'node:http';
import { fromHttp } from '@aws-sdk/credential-provider-http';
import { defaultProvider } from '@aws-sdk/credential-provider-node';
import { NodeHttpHandler } from '@smithy/node-http-handler';

// Each pod sends from its own source address, as pods on a node do (the agent's fairness key). JS v3's
// providers build their NodeHttpHandler inside (fromHttp offers no handler option), so its factory is wrapped
// to add the pod's address to the agent options it spreads into its http.Agent; the handler's timeouts and
// the provider's retries stay the SDK's own. The pod's address travels with its load's async context.
const pod = new AsyncLocalStorage();
const create = NodeHttpHandler.create.bind(NodeHttpHandler);
NodeHttpHandler.create = (options) => {
  const localAddress = pod.getStore();
  if (!localAddress || (options !== undefined && typeof options.handle === 'function')) return create(options);
  return create({ ...options, httpAgent: { ...options?.httpAgent, localAddress } });
};

/** Bounded single-line text of what the SDK reported, with the body's code where the SDK attaches it. */
function reported(err) {
  let text = err instanceof Error ? `${err.name}: ${err.message}` : String(err);
  if (typeof err?.Code === 'string') text += ` [Code: ${err.Code}]`;
  return text.replace(/\s+/g, ' ').slice(0, 300);
}

function checked(creds) {
  if (!creds?.accessKeyId) throw new Error('credentials without an access key');
}

async function jsV2(job) {
  process.env.AWS_SDK_JS_SUPPRESS_MAINTENANCE_MODE_MESSAGE = '1';
  const AWS = (await import('aws-sdk')).default;
  // RemoteCredentials reads the URI and the token file from process.env when its refresh starts, which
  // getPromise does synchronously: each pod's environment is in place exactly then.
  return (i) => {
    process.env.AWS_CONTAINER_CREDENTIALS_FULL_URI = job.url;
    process.env.AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE = job.tokenFiles[i];
    // httpOptions.agent is RemoteCredentials' own option; its 1 s timeout default is merged in beside it.
    const creds = new AWS.RemoteCredentials({
      httpOptions: { agent: new Agent({ localAddress: job.addresses[i] }) },
    });
    return creds.getPromise().then(() => checked(creds));
  };
}

const LOADERS = {
  'js-v3-from-http': async (job) => async (i) =>
    checked(
      await fromHttp({ awsContainerCredentialsFullUri: job.url, awsContainerAuthorizationTokenFile: job.tokenFiles[i] })(),
    ),
  // The chain picks its container provider from process.env (the URI); the pod's token file comes through init.
  'js-v3-default-chain': async (job) => {
    process.env.AWS_CONTAINER_CREDENTIALS_FULL_URI = job.url;
    return async (i) => checked(await defaultProvider({ awsContainerAuthorizationTokenFile: job.tokenFiles[i] })());
  },
  'js-v2': jsV2,
};

const row = process.argv[2] ?? '';
const chunks = [];
for await (const chunk of process.stdin) chunks.push(chunk);
const job = JSON.parse(Buffer.concat(chunks).toString('utf8'));
if (!LOADERS[row]) throw new Error(`unknown JS SDK row: ${row}`);
const load = await LOADERS[row](job);
const start = performance.now();
const outcomes = await Promise.all(
  job.tokens.map(async (_, i) => {
    try {
      await pod.run(job.addresses[i], () => load(i));
      return { ok: true, ms: performance.now() - start };
    } catch (err) {
      return { ok: false, ms: performance.now() - start, error: reported(err) };
    }
  }),
);
process.stdout.write(`${JSON.stringify(outcomes)}\n`);

// `local` mode (behind `npm start`): the EKS Auth emulator, its API-server stand-in and the agent on loopback,
// a demo token written to a file (renewed hourly, as the kubelet does), and printed instructions that work
// when pasted. No root, no port 80, no AWS account: the agent runs exactly as in `server` inside a cluster,
// reading the signing keys from the (emulated) API server's /openid/v1/jwks with its own service-account token.
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { type Agent, startAgent } from '../agent/agent.ts';
import { type FlagSpec, HELP_FLAG, readFlags, VERBOSITY_FLAG } from '../cli/flag-parser.ts';
import { formatHelp } from '../cli/help.ts';
import { createClosers, stopSignal } from '../cli/shutdown.ts';
import { type Config, parseServerConfig, UsageError } from '../config/server-config.ts';
import {
  DEFAULT_ACCESS_KEY_ID,
  DEFAULT_SECRET_ACCESS_KEY,
  type Emulator,
  startEmulator,
} from '../emulator/index.ts';
import { startDemoToken } from './demo-token.ts';

export const LOCAL_FLAGS = [
  {
    name: 'port',
    kind: 'value',
    valueName: 'PORT',
    default: '2780',
    help: 'Credentials listener port on 127.0.0.1.',
  },
  {
    name: 'metrics-port',
    kind: 'value',
    valueName: 'PORT',
    default: '2785',
    help: 'Metrics listener port on 127.0.0.1.',
  },
  {
    name: 'probe-port',
    kind: 'value',
    valueName: 'PORT',
    default: '2783',
    help: 'Probe listener port on 127.0.0.1.',
  },
  {
    name: 'emulator-port',
    kind: 'value',
    valueName: 'PORT',
    default: '0',
    help: 'Emulator port (0: any free port).',
  },
  {
    name: 'token-file',
    kind: 'value',
    valueName: 'PATH',
    // Per user: a shared /tmp directory could be pre-created by someone else.
    default: join(
      tmpdir(),
      `eks-pod-identity-agent-local-${process.getuid?.() ?? 'user'}`,
      'eks-pod-identity-token',
    ),
    help: 'Where the demo service-account token is written.',
  },
  VERBOSITY_FLAG,
  HELP_FLAG,
] as const satisfies readonly FlagSpec[];

const LOCAL_HELP = formatHelp({
  usage: 'local [flags]',
  about: [
    'Runs the EKS Auth emulator, its API-server stand-in and the agent on loopback, writes a demo token and ' +
      'prints how to point an AWS SDK at it. No root, no AWS account. Stops on SIGINT or SIGTERM.',
  ],
  flags: LOCAL_FLAGS,
});

export interface LocalRun {
  agent: Agent;
  emulator: Emulator;
  tokenFile: string;
  instructions: string;
  stop(): Promise<void>;
}

function instructionsFor(agent: Agent, emulator: Emulator, tokenFile: string): string {
  const url = `${agent.url}/v1/credentials`;
  return [
    '',
    'EKS Pod Identity Agent is running in local mode (EKS Auth is emulated; nothing leaves this machine).',
    `  credentials  ${url}`,
    `  metrics      ${agent.metricsServer?.url ?? '(off)'}/metrics`,
    `  probes       ${agent.probeServer?.url ?? '(off)'}/readyz`,
    `  EKS Auth     ${emulator.url} (emulator; also the token issuer)`,
    `  API server   ${emulator.kubeApi?.url ?? '(off)'}/openid/v1/jwks (emulated; token signatures are checked against it)`,
    '',
    'Point any AWS SDK at it (pod "demo-pod", service account default/demo):',
    `  export AWS_CONTAINER_CREDENTIALS_FULL_URI=${url}`,
    `  export AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE=${tokenFile}`,
    '',
    'Or try it by hand:',
    `  curl -s -H "Authorization: $(cat ${tokenFile})" ${url}`,
    '',
    'Press Ctrl-C to stop.',
    '',
  ].join('\n');
}

/** Starts emulator and agent; the caller owns stopping them. */
export async function startLocal(argv: readonly string[]): Promise<LocalRun> {
  const flags = readFlags(argv, LOCAL_FLAGS);
  const get = flags.value;
  const emulatorPort = Number(get('emulator-port'));
  if (!Number.isInteger(emulatorPort) || emulatorPort < 0 || emulatorPort > 65_535) {
    throw new UsageError(`invalid value for --emulator-port: expected a port number`);
  }
  const closers = createClosers();
  const emulator = await startEmulator({ port: emulatorPort, kubeApi: true });
  closers.add(() => emulator.stop());
  const kubeApi = emulator.kubeApi!;
  try {
    const tokenFile = get('token-file');
    // Laid out as the kubelet mounts the agent's own service account (token, ca.crt, namespace).
    const serviceAccountDir = join(dirname(tokenFile), 'agent-serviceaccount');
    const config: Config = parseServerConfig(
      [
        '--cluster-name=local',
        '--bind-hosts=127.0.0.1',
        `--port=${get('port')}`,
        '--metrics-address=127.0.0.1',
        `--metrics-port=${get('metrics-port')}`,
        '--probe-address=127.0.0.1',
        `--probe-port=${get('probe-port')}`,
        `--endpoint=${emulator.url}`,
        `--service-account-dir=${serviceAccountDir}`,
        `-v=${get('verbosity')}`,
      ],
      {
        AWS_REGION: 'us-west-2',
        // As in a pod: the API server's service address, where the signing keys are read.
        KUBERNETES_SERVICE_HOST: kubeApi.host,
        KUBERNETES_SERVICE_PORT: String(kubeApi.port),
        // The emulator accepts the AWS documentation example key pair; the SDK chain reads it from here.
        AWS_ACCESS_KEY_ID: DEFAULT_ACCESS_KEY_ID,
        AWS_SECRET_ACCESS_KEY: DEFAULT_SECRET_ACCESS_KEY,
      },
    );
    closers.add(await startDemoToken(emulator, tokenFile, serviceAccountDir));
    const agent = await startAgent(config, {
      nodeCredentials: { accessKeyId: DEFAULT_ACCESS_KEY_ID, secretAccessKey: DEFAULT_SECRET_ACCESS_KEY },
    });
    closers.add(() => agent.stop());
    return {
      agent,
      emulator,
      tokenFile,
      instructions: instructionsFor(agent, emulator, tokenFile),
      stop: closers.close,
    };
  } catch (err) {
    await closers.close();
    throw err;
  }
}

export async function runLocal(argv: readonly string[]): Promise<number> {
  if (readFlags(argv, LOCAL_FLAGS).isOn('help')) {
    process.stdout.write(LOCAL_HELP);
    return 0;
  }
  const run = await startLocal(argv);
  process.stdout.write(run.instructions);
  await stopSignal().received;
  await run.stop();
  return 0;
}

// A whole local stack for integration tests: the EKS Auth emulator and an agent pointed at it, on loopback.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type Agent, type AgentDeps, startAgent } from '../../src/agent/agent.ts';
import type { Config } from '../../src/config/server-config.ts';
import {
  DEFAULT_ACCESS_KEY_ID,
  DEFAULT_SECRET_ACCESS_KEY,
  type Emulator,
  type EmulatorOptions,
  startEmulator,
  type TokenRequest,
} from '../../src/emulator/index.ts';
import { createSilentLogger } from '../../src/observability/logger.ts';
import { testConfig } from './agent-config.ts';

export interface Stack {
  emulator: Emulator;
  agent: Agent;
  /** The credentials URL SDKs are given. */
  credentialsUrl: string;
  dir: string;
  /** Issues a token and writes it to a fresh file; returns both. */
  tokenFile(req?: Partial<TokenRequest>): Promise<{ token: string; path: string }>;
  stop(): Promise<void>;
}

export interface StackOptions {
  args?: string[];
  overrides?: Partial<Config>;
  deps?: AgentDeps;
  emulator?: EmulatorOptions;
  /** Verify token signatures against the emulator's issuer (default true). */
  verify?: boolean;
}

export async function startStack(options: StackOptions = {}): Promise<Stack> {
  const emulator = await startEmulator(options.emulator);
  const verifyArgs = options.verify === false ? [] : [`--token-issuer=${emulator.url}`];
  const config = testConfig(
    [`--endpoint=${emulator.url}`, ...verifyArgs, ...(options.args ?? [])],
    options.overrides,
  );
  const agent = await startAgent(config, {
    logger: createSilentLogger(),
    nodeCredentials: { accessKeyId: DEFAULT_ACCESS_KEY_ID, secretAccessKey: DEFAULT_SECRET_ACCESS_KEY },
    withoutSideListeners: true,
    ...options.deps,
  });
  // Keys load in the background (the agent serves in claims mode meanwhile); scenarios here start verified, as
  // an agent does once its first load succeeded. test/resilience/key-source-down.test.ts covers the wait itself.
  await agent.verification.keySource?.start();
  const dir = mkdtempSync(join(tmpdir(), 'pia-test-'));
  let n = 0;
  return {
    emulator,
    agent,
    credentialsUrl: `${agent.url}/v1/credentials`,
    dir,
    async tokenFile(req = {}) {
      const token = await emulator.issueToken({ namespace: 'default', serviceAccount: 'app', ...req });
      n += 1;
      const path = join(dir, `token-${n}`);
      writeFileSync(path, token);
      return { token, path };
    },
    async stop() {
      await agent.stop();
      await emulator.stop();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

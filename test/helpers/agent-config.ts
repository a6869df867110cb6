// Configs for agents started inside tests: loopback, random ports, the public agent's defaults otherwise.
import { type Config, parseServerConfig } from '../../src/config/server-config.ts';

export function testConfig(args: string[] = [], overrides: Partial<Config> = {}): Config {
  const base = parseServerConfig(['--cluster-name=test', '--bind-hosts=127.0.0.1', '-v=silent', ...args], {
    AWS_REGION: 'us-west-2',
  });
  // Port 0 (any free port) is not a valid flag value, so tests set it here.
  return Object.freeze({
    ...base,
    port: 0,
    metricsPort: 0,
    probePort: 0,
    metricsAddress: '127.0.0.1',
    // The real --helper-thread-nice would lower the test runner's own threads for the rest of its run (a nice value
    // cannot be lowered back without privilege); tests of it pass it with a fake thread system.
    helperThreadNice: 0,
    ...overrides,
  });
}

// Another process already serving the agent's port (say, the managed add-on left running) is a clear start
// error, not a silently shared port: Bun's default SO_REUSEPORT would otherwise split the pods' requests.
import { expect, test } from 'bun:test';
import { startAgent } from '../../src/agent.ts';
import { systemClock } from '../../src/clock.ts';
import { createSilentLogger } from '../../src/observability/logger.ts';
import { testConfig } from '../helpers/agent-config.ts';
import { createFakeEksAuth } from '../helpers/fake-eks-auth.ts';
import { freePort } from '../helpers/free-port.ts';

test('a port held by another process is a BindError naming it, and nothing is left running', async () => {
  const port = freePort();
  // The other process binds like a production Bun server (development: false turns SO_REUSEPORT on).
  const other = Bun.spawn(
    [
      process.execPath,
      '-e',
      `Bun.serve({ hostname: '127.0.0.1', port: ${port}, development: false, fetch: () => new Response('other') }); console.log('ready'); await Bun.sleep(30000);`,
    ],
    { stdout: 'pipe', stderr: 'inherit' },
  );
  try {
    const reader = other.stdout.getReader();
    await reader.read(); // "ready"
    const err = await startAgent(testConfig([], { port }), {
      client: createFakeEksAuth(systemClock),
      logger: createSilentLogger(),
      withoutSideListeners: true,
    }).catch((e: Error) => e);
    expect(err).toBeInstanceOf(Error);
    expect((err as Error).name).toBe('BindError');
    expect((err as Error).message).toBe(
      `cannot listen on http://127.0.0.1:${port}: the port is already in use`,
    );
    const stillOther = await fetch(`http://127.0.0.1:${port}/v1/credentials`);
    expect(await stillOther.text()).toBe('other');
  } finally {
    other.kill();
    await other.exited;
  }
});

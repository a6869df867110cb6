// Another program already serving the agent's port (say, the managed add-on left running) is a clear start
// error naming the likely holder, not a silently shared port: Bun's default SO_REUSEPORT would otherwise split
// the pods' requests. Another instance of this agent (a surge rollout) shares the port instead.
import { expect, test } from 'bun:test';
import { type Agent, startAgent } from '../../src/agent/agent.ts';
import { systemClock } from '../../src/clock.ts';
import { PORT_TAKEN_HINT } from '../../src/http/bind-error.ts';
import { createSilentLogger } from '../../src/observability/logger.ts';
import { testConfig } from '../helpers/agent-config.ts';
import { createFakeEksAuth } from '../helpers/fake-eks-auth.ts';
import { freePort } from '../helpers/free-port.ts';
import { unsignedToken } from '../helpers/tokens.ts';

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
      `cannot listen on http://127.0.0.1:${port}: the port is already in use by another program: ${PORT_TAKEN_HINT}`,
    );
    expect(PORT_TAKEN_HINT).toContain('delete-addon');
    expect(PORT_TAKEN_HINT).toContain('eks.amazonaws.com/compute-type=auto');
    const stillOther = await fetch(`http://127.0.0.1:${port}/v1/credentials`);
    expect(await stillOther.text()).toBe('other');
  } finally {
    other.kill();
    await other.exited;
  }
});

test('a holder without SO_REUSEPORT (like the Go agent) is refused the same way', async () => {
  const port = freePort();
  const other = Bun.serve({ hostname: '127.0.0.1', port, reusePort: false, fetch: () => new Response('go') });
  try {
    const err = await startAgent(testConfig([], { port }), {
      client: createFakeEksAuth(systemClock),
      logger: createSilentLogger(),
      withoutSideListeners: true,
    }).catch((e: Error) => e);
    expect((err as Error).name).toBe('BindError');
    expect((err as Error).message).toContain('already in use by another program');
  } finally {
    await other.stop(true);
  }
});

test('a second instance of this agent shares the port; when the first stops, the second serves alone', async () => {
  const port = freePort();
  const start = () =>
    startAgent(testConfig([], { port }), {
      client: createFakeEksAuth(systemClock),
      logger: createSilentLogger(),
      withoutSideListeners: true,
    });
  const first: Agent = await start();
  const second: Agent = await start();
  try {
    expect(second.url).toBe(first.url);
    const token = unsignedToken({ expSeconds: Math.floor(Date.now() / 1000) + 3600 });
    const ask = () =>
      fetch(`${first.url}/v1/credentials`, { headers: { host: `127.0.0.1:${port}`, authorization: token } });
    expect((await ask()).status).toBe(200);
    await first.stop();
    for (let i = 0; i < 5; i++) expect((await ask()).status).toBe(200);
  } finally {
    await first.stop();
    await second.stop();
  }
});

// An IPv6 bind host that is absent at start (IPv6 address not yet configured) is served as soon as it
// appears, without a restart: the listener retries in the background and reports its state meanwhile.
import { afterAll, expect, test } from 'bun:test';
import { join } from 'node:path';
import { createNetnsRegistry, netnsUnavailableReason } from './netns.ts';

const unavailable = await netnsUnavailableReason();
if (unavailable) console.warn(`SKIP ipv6-late-bind: ${unavailable}`);
const netns = createNetnsRegistry();
afterAll(() => netns.deleteAll());

test.skipIf(unavailable !== undefined)(
  'the IPv6 listener binds when its address appears, and answers',
  async () => {
    const ns = await netns.add('ipv6late');
    expect((await netns.exec(ns, ['ip', 'link', 'set', 'lo', 'up'])).exitCode).toBe(0);
    const child = Bun.spawn(
      [
        'ip',
        'netns',
        'exec',
        ns,
        process.execPath,
        join(import.meta.dir, 'fixtures/late-ipv6-listener.ts'),
        '8080',
      ],
      { stdout: 'pipe', stderr: 'inherit', timeout: 20_000 },
    );
    const reader = child.stdout.pipeThrough(new TextDecoderStream()).getReader();
    let buffered = '';
    const nextLine = async (): Promise<Record<string, unknown>> => {
      while (!buffered.includes('\n')) {
        const { value, done } = await reader.read();
        if (done) throw new Error('fixture exited early');
        buffered += value;
      }
      const i = buffered.indexOf('\n');
      const line = buffered.slice(0, i);
      buffered = buffered.slice(i + 1);
      return JSON.parse(line) as Record<string, unknown>;
    };
    try {
      const started = await nextLine();
      expect(started['statuses']).toEqual([
        { host: '127.0.0.1', bound: true, url: 'http://127.0.0.1:8080' },
        { host: 'fd00:ec2::23', bound: false, url: 'http://[fd00:ec2::23]:8080', error: 'EADDRNOTAVAIL' },
      ]);
      expect(started['up']).toEqual([
        ['127.0.0.1', 1],
        ['fd00:ec2::23', 0],
      ]);
      const added = await netns.exec(ns, ['ip', 'addr', 'add', 'fd00:ec2::23/128', 'dev', 'lo', 'nodad']);
      expect(added.exitCode).toBe(0);
      const bound = await nextLine();
      expect(bound['event']).toBe('bound');
      expect(bound['up']).toEqual([
        ['127.0.0.1', 1],
        ['fd00:ec2::23', 1],
      ]);
      expect(bound['answer']).toBe('credentials');
    } finally {
      child.kill();
      await child.exited;
    }
  },
);

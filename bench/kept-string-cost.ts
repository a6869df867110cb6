// What one kept string of a given length costs in RSS, against the same bytes packed into 256 KB slabs: the
// allocator rounds each string (its chars plus a ~24-byte header) up to a size class, so the cost steps
// where the length crosses a class boundary. One fresh process per measurement (this script spawns itself).
// Usage: bun bench/kept-string-cost.ts [LENGTHS] [COUNT]   e.g. bun bench/kept-string-cost.ts 1000,1010,1070 20000
// Prints one JSON line per length: marginal RSS bytes per kept string, and per the same bytes in slabs (median
// of 3 starts each). Wrap it in flock /tmp/bench.lock.
import { median } from './lib/stats.ts';

const SLAB_BYTES = 256 * 1024;

/** RSS after a full collection and a short settle. */
async function settledRss(): Promise<number> {
  Bun.gc(true);
  await Bun.sleep(50);
  Bun.gc(true);
  return process.memoryUsage().rss;
}

/**
 * Keeps 2 x count items, reading RSS after the first and the second half: the second half's cost per item is
 * the marginal one (start-up, the JIT and the GC's own growth are paid in the first half).
 */
async function measureChild(how: string, length: number, count: number): Promise<void> {
  const keep: unknown[] = new Array(2 * count);
  const perSlab = Math.floor(SLAB_BYTES / length);
  let slab = new Uint8Array(0);
  const add = (i: number) => {
    if (how === 'string') {
      // 'x'.repeat makes one flat string of exactly `length` characters, with no garbage beside it.
      keep[i] = 'x'.repeat(length);
      return;
    }
    if (i % perSlab === 0) slab = new Uint8Array(SLAB_BYTES);
    slab.fill(120, (i % perSlab) * length, (i % perSlab) * length + length);
    keep[i] = slab;
  };
  for (let i = 0; i < count; i++) add(i);
  const half = await settledRss();
  for (let i = count; i < 2 * count; i++) add(i);
  const full = await settledRss();
  process.stdout.write(`${Math.round((full - half) / count)}\n`);
}

async function spawnOnce(how: string, length: number, count: number): Promise<number> {
  const child = Bun.spawn(
    [process.execPath, import.meta.path, '--child', how, String(length), String(count)],
    {
      stdout: 'pipe',
      stderr: 'inherit',
    },
  );
  const out = await new Response(child.stdout).text();
  if ((await child.exited) !== 0) throw new Error(`child ${how} ${length} failed`);
  return Number(out.trim());
}

const args = process.argv.slice(2);
if (args[0] === '--child') {
  await measureChild(args[1]!, Number(args[2]), Number(args[3]));
} else {
  const lengths = (args[0] ?? '990,1000,1001,1010,1070,1257,1300').split(',').map(Number);
  const count = Number(args[1] ?? '20000');
  for (const length of lengths) {
    const strings: number[] = [];
    const slabs: number[] = [];
    for (let i = 0; i < 3; i++) {
      strings.push(await spawnOnce('string', length, count));
      slabs.push(await spawnOnce('slab', length, count));
    }
    console.log(
      JSON.stringify({
        length,
        count,
        stringBytes: median(strings),
        slabBytes: median(slabs),
        strings,
        slabs,
      }),
    );
  }
}

// The commit a bench measured, and whether src/ had uncommitted changes (teammates share the working tree).
import { join } from 'node:path';

export function sourceRevision(): string {
  const git = (args: string[]) =>
    Bun.spawnSync(['git', ...args], { cwd: join(import.meta.dir, '..', '..') })
      .stdout.toString()
      .trim();
  const head = git(['rev-parse', '--short', 'HEAD']);
  return git(['status', '--porcelain', '--', 'src']) === '' ? head : `${head} + uncommitted src changes`;
}

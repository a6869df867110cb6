// The commit a bench measured (the checkout it runs the agent from: the working directory), and whether src/
// had uncommitted changes (teammates share the working tree).

export function sourceRevision(): string {
  const git = (args: string[]) =>
    Bun.spawnSync(['git', ...args], { cwd: process.cwd() })
      .stdout.toString()
      .trim();
  const head = git(['rev-parse', '--short', 'HEAD']);
  return git(['status', '--porcelain', '--', 'src']) === '' ? head : `${head} + uncommitted src changes`;
}

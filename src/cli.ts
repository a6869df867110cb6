#!/usr/bin/env bun
// Process entry: `bun src/cli.ts <subcommand> [flags]` (and the package bin). Runs on import by design.
import { runCli } from './cli/dispatch.ts';

process.exitCode = await runCli(process.argv.slice(2), {
  stdout: (text) => process.stdout.write(text),
  stderr: (text) => process.stderr.write(text),
  env: process.env,
});

// Checks shared by the hostile-input suites: no unhandled rejection or uncaught exception while they run,
// nothing of a token echoed back, memory growth measured after a collection.
import { expect } from 'bun:test';

export interface ProcessWatch {
  readonly problems: string[];
  dispose(): void;
}

/** Records unhandled rejections and uncaught exceptions of this process (the agent runs in it). */
export function watchProcess(): ProcessWatch {
  const problems: string[] = [];
  const onRejection = (reason: unknown) => problems.push(`unhandledRejection: ${describe(reason)}`);
  const onException = (err: unknown) => problems.push(`uncaughtException: ${describe(err)}`);
  process.on('unhandledRejection', onRejection);
  process.on('uncaughtException', onException);
  return {
    problems,
    dispose() {
      process.off('unhandledRejection', onRejection);
      process.off('uncaughtException', onException);
    },
  };
}

function describe(value: unknown): string {
  return value instanceof Error ? `${value.name}: ${value.message}` : String(value).slice(0, 200);
}

/** Below this a fragment could match ordinary text by chance ("eyJhbGci" is every JWT's start). */
const MIN_FRAGMENT_CHARS = 12;

/** The token and each of its dot-separated segments long enough to be recognisable. */
export function secretFragments(token: string): string[] {
  const parts = token.split('.').filter((p) => p.length >= MIN_FRAGMENT_CHARS);
  return token.length >= MIN_FRAGMENT_CHARS ? [token, ...parts] : parts;
}

/** Fails when `text` carries the token or any recognisable piece of it. */
export function expectNoEcho(text: string, token: string): void {
  for (const fragment of secretFragments(token)) {
    if (text.includes(fragment)) {
      throw new Error(`response echoes ${fragment.length} characters of the token: ${text.slice(0, 300)}`);
    }
  }
}

/** Resident set size after a full collection, in bytes. */
export function settledRss(): number {
  Bun.gc(true);
  return process.memoryUsage().rss;
}

export function expectNoProblems(watch: ProcessWatch): void {
  expect(watch.problems).toEqual([]);
}

// Fills an agent's cache from a separate process, then exits, so its keep-alive connections close the way
// pods' SDK connections do (a bench process holding 64 idle sockets open would count against the agent).
// Usage: bun bench/clients/fill.ts CREDENTIALS_URL TOKENS_FILE [CONCURRENCY]   (one token per line)
// Prints the LoadResult as one JSON line.
import { readFileSync } from 'node:fs';
import { requestEachToken } from '../lib/load.ts';

const [url, tokensFile, concurrency = '64'] = process.argv.slice(2);
if (!url || !tokensFile) throw new Error('usage: fill.ts CREDENTIALS_URL TOKENS_FILE [CONCURRENCY]');
const tokens = readFileSync(tokensFile, 'utf8')
  .split('\n')
  .filter((t) => t !== '');
process.stdout.write(`${JSON.stringify(await requestEachToken(url, tokens, Number(concurrency)))}\n`);
process.exit(0);

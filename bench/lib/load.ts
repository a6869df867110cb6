// Closed-loop load with fetch: every token requested once, `concurrency` requests in flight over keep-alive.

export interface LoadResult {
  ms: number;
  ok: number;
  failed: number;
  /** Status codes (or "network") of failures, with counts. */
  failures: Record<string, number>;
}

export async function requestEachToken(
  url: string,
  tokens: readonly string[],
  concurrency: number,
): Promise<LoadResult> {
  let next = 0;
  let ok = 0;
  const failures: Record<string, number> = {};
  const startedAt = performance.now();
  const worker = async () => {
    for (let i = next++; i < tokens.length; i = next++) {
      let code: string;
      try {
        const res = await fetch(url, { headers: { authorization: tokens[i]! } });
        await res.arrayBuffer();
        code = String(res.status);
      } catch {
        code = 'network';
      }
      if (code === '200') ok++;
      else failures[code] = (failures[code] ?? 0) + 1;
    }
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, tokens.length) }, worker));
  const failed = tokens.length - ok;
  return { ms: performance.now() - startedAt, ok, failed, failures };
}

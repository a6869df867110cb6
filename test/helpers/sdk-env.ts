// Runs `fn` with the two environment variables EKS sets in a pod with an association, as the JS SDK's
// fromHttp reads them from process.env; restores whatever was there before.
export async function withContainerCredentialsEnv<T>(
  credentialsUrl: string,
  tokenPath: string,
  fn: () => Promise<T>,
): Promise<T> {
  const names = ['AWS_CONTAINER_CREDENTIALS_FULL_URI', 'AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE'] as const;
  const saved = names.map((n) => process.env[n]);
  process.env[names[0]] = credentialsUrl;
  process.env[names[1]] = tokenPath;
  try {
    return await fn();
  } finally {
    names.forEach((n, i) => {
      const v = saved[i];
      if (v === undefined) delete process.env[n];
      else process.env[n] = v;
    });
  }
}

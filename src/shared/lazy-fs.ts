// node:fs/promises, loaded at the first file read instead of at start: under Bun it is JavaScript of its own,
// which a server that reads no file (claims mode, keys from the environment) would otherwise load and keep
// (README footprint (10); test/build/startup-builtins.test.ts holds the server's start-up built-ins).
export const fsPromises = (): Promise<typeof import('node:fs/promises')> => import('node:fs/promises');

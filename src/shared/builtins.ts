// Node built-ins that only some paths need, loaded at their first use instead of at start: under Bun most node:
// modules are JavaScript of their own, which every agent would otherwise load and keep (node:net and
// node:fs/promises ~0.4 MB, node:util ~0.5 MB at 250 pods: README footprint (10)). process.getBuiltinModule,
// unlike an import or a require, is left alone by the bundler, so the start-up bundle names none of these;
// test/build/startup-builtins.test.ts holds the built-ins it does name. The runtime keeps each module once loaded.

/** node:fs/promises: the shared credentials file, a JWKS file, the service-account token and CA. */
export const fsPromises = () => process.getBuiltinModule('node:fs/promises');
/** node:path: file paths as the SDK and client-go join them. */
export const nodePath = () => process.getBuiltinModule('node:path');
/** node:util: prom-client's error messages (src/observability/prom-client-util.ts). */
export const nodeUtil = () => process.getBuiltinModule('node:util');

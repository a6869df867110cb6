// Reads the manifests the ways kubectl does: `apply -f DIR` (every .yaml/.yml/.json file in DIR), `apply -R -f`
// (the same, recursively) and `apply -k DIR` (rendered by the real `kubectl kustomize`).
import { readdirSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';

export const ROOT_DIR = resolve(import.meta.dir, '../..');
export const K8S_DIR = join(ROOT_DIR, 'k8s');

export interface Manifest {
  readonly file: string;
  readonly doc: Record<string, unknown> & {
    kind?: unknown;
    apiVersion?: unknown;
    metadata?: { name?: string; namespace?: string };
  };
}

const KUBECTL_EXTENSIONS = /\.(ya?ml|json)$/;

/** The files `kubectl apply -f DIR` reads; with `recursive`, those `-R -f DIR` reads. */
export function manifestFiles(dir: string, recursive = false): string[] {
  return readdirSync(dir, { withFileTypes: true })
    .flatMap((entry) => {
      const path = join(dir, entry.name);
      if (entry.isDirectory()) return recursive ? manifestFiles(path, true) : [];
      return entry.isFile() && KUBECTL_EXTENSIONS.test(entry.name) ? [path] : [];
    })
    .sort();
}

function parseDocs(file: string, text: string): Manifest[] {
  const parsed: unknown = file.endsWith('.json') ? JSON.parse(text) : Bun.YAML.parse(text);
  // Bun.YAML returns an array for multi-document files; empty documents (a trailing ---) are null.
  const docs = Array.isArray(parsed) && !file.endsWith('.json') ? parsed : [parsed];
  return docs.filter((d) => d !== null).map((doc) => ({ file, doc: doc as Manifest['doc'] }));
}

export function loadManifests(dir: string, recursive = false): Manifest[] {
  return manifestFiles(dir, recursive).flatMap((file) => parseDocs(file, readFileSync(file, 'utf8')));
}

/** kubectl on PATH (Debian's kubernetes-client in CI), or $KUBECTL. */
export const KUBECTL = process.env['KUBECTL'] || 'kubectl';

/** `kubectl kustomize DIR`: what `kubectl apply -k DIR` would send, as parsed objects. */
export function kustomize(dir: string, kubectl = KUBECTL): Manifest[] {
  const run = Bun.spawnSync([kubectl, 'kustomize', dir], { stdout: 'pipe', stderr: 'pipe' });
  if (run.exitCode !== 0) {
    throw new Error(`${kubectl} kustomize ${dir} failed (${run.exitCode}): ${run.stderr.toString()}`);
  }
  return parseDocs(`kustomize:${dir}`, run.stdout.toString());
}

export function findManifest(manifests: readonly Manifest[], kind: string, name: string): Manifest['doc'] {
  const found = manifests.find((m) => m.doc.kind === kind && m.doc.metadata?.name === name);
  if (!found) throw new Error(`no ${kind} named ${name}`);
  return found.doc;
}

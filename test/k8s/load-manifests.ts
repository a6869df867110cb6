// Reads the raw manifests the way `kubectl apply -f DIR` does: every .yaml/.yml/.json file in DIR, not recursive.
import { readdirSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';

export const K8S_DIR = resolve(import.meta.dir, '../../k8s');

export interface Manifest {
  readonly file: string;
  readonly doc: Record<string, unknown> & {
    kind?: unknown;
    apiVersion?: unknown;
    metadata?: { name?: string };
  };
}

const KUBECTL_EXTENSIONS = /\.(ya?ml|json)$/;

export function manifestFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true })
    .filter((entry) => entry.isFile() && KUBECTL_EXTENSIONS.test(entry.name))
    .map((entry) => join(dir, entry.name))
    .sort();
}

export function loadManifests(dir: string): Manifest[] {
  return manifestFiles(dir).flatMap((file) => {
    const text = readFileSync(file, 'utf8');
    const parsed: unknown = file.endsWith('.json') ? JSON.parse(text) : Bun.YAML.parse(text);
    // Bun.YAML returns an array for multi-document files; empty documents (a trailing ---) are null.
    const docs = Array.isArray(parsed) && !file.endsWith('.json') ? parsed : [parsed];
    return docs.filter((d) => d !== null).map((doc) => ({ file, doc: doc as Manifest['doc'] }));
  });
}

export function findManifest(manifests: readonly Manifest[], kind: string, name: string): Manifest['doc'] {
  const found = manifests.find((m) => m.doc.kind === kind && m.doc.metadata?.name === name);
  if (!found) throw new Error(`no ${kind} named ${name}`);
  return found.doc;
}

// Reads an OCI layout store from the test (as root): an image by ref, its layers' entries.
import { createReadStream, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { extract } from 'tar-stream';

export interface LayerEntry {
  name: string;
  type: string;
  uid: number;
  gid: number;
  mode: number;
}

const blob = (store: string, digest: string) => join(store, 'oci', 'blobs', 'sha256', digest.slice(7));

export function refs(store: string): string[] {
  const index = JSON.parse(readFileSync(join(store, 'oci', 'index.json'), 'utf8')) as { manifests: { annotations?: Record<string, string> }[] };
  return index.manifests.map((m) => m.annotations?.['org.opencontainers.image.ref.name']).filter((r): r is string => !!r);
}

export function manifestOf(store: string, ref: string): { config: { digest: string }; layers: { digest: string }[] } {
  const index = JSON.parse(readFileSync(join(store, 'oci', 'index.json'), 'utf8')) as { manifests: { digest: string; annotations?: Record<string, string> }[] };
  const d = index.manifests.find((m) => m.annotations?.['org.opencontainers.image.ref.name'] === ref);
  if (!d) throw new Error(`no ${ref} in ${store} (have ${refs(store).join(', ')})`);
  return JSON.parse(readFileSync(blob(store, d.digest), 'utf8'));
}

export async function lastLayer(store: string, ref: string): Promise<LayerEntry[]> {
  const m = manifestOf(store, ref);
  return tarEntries(blob(store, m.layers[m.layers.length - 1].digest));
}

/** The entries of a tar file (names without a trailing slash or a leading ./). */
export async function tarEntries(file: string): Promise<LayerEntry[]> {
  const entries: LayerEntry[] = [];
  const x = extract();
  x.on('entry', (h, body, next) => {
    entries.push({ name: h.name.replace(/\/$/, '').replace(/^\.\//, ''), type: h.type ?? 'file', uid: h.uid ?? 0, gid: h.gid ?? 0, mode: h.mode ?? 0 });
    body.resume();
    body.on('end', next);
  });
  const done = new Promise<void>((resolve, reject) => x.on('finish', () => resolve()).on('error', reject));
  createReadStream(file).pipe(x);
  await done;
  return entries;
}

// The registry calls stalker makes itself (Distribution's HTTP API): a manifest HEAD, which says
// whether a key is in the shared cache and under which digest, without moving any layer; the
// config of a pulled image (the engine keeps no copy of its bytes to rewrite); tags and deletes
// for prune. Pulls and pushes go through the engine, which holds the layers and the credentials.
import { manifestUrl, type RegistryAddress } from './registry-address.js';

export type ManifestHead = { kind: 'found'; digest: string } | { kind: 'absent' } | { kind: 'error'; message: string }; // registry down, refusing, or answering nonsense

// What Docker pushes (schema 2), and OCI manifests/indexes for images pushed by other tools.
const ACCEPT = [
  'application/vnd.docker.distribution.manifest.v2+json',
  'application/vnd.oci.image.manifest.v1+json',
  'application/vnd.docker.distribution.manifest.list.v2+json',
  'application/vnd.oci.image.index.v1+json',
].join(', ');

export async function headManifest(a: RegistryAddress, tag: string, timeoutMs = 5000): Promise<ManifestHead> {
  try {
    const res = await fetch(manifestUrl(a, tag), {
      method: 'HEAD',
      headers: { accept: ACCEPT },
      signal: AbortSignal.timeout(timeoutMs),
    });
    if (res.status === 404) return { kind: 'absent' };
    if (!res.ok) return { kind: 'error', message: `HEAD ${manifestUrl(a, tag)}: HTTP ${res.status}` };
    const digest = res.headers.get('docker-content-digest');
    if (!digest?.startsWith('sha256:')) return { kind: 'error', message: `HEAD ${manifestUrl(a, tag)}: no Docker-Content-Digest` };
    return { kind: 'found', digest };
  } catch (err) {
    const cause = (err as { cause?: { code?: string } }).cause?.code;
    return { kind: 'error', message: `${a.host}: ${cause ?? (err instanceof Error ? err.message : String(err))}` };
  }
}

/**
 * The config blob of the single-image manifest `digest`, as the registry holds it: the bytes
 * whose sha256 is the image id Docker and the OCI store give the pulled image.
 */
export async function imageConfig(a: RegistryAddress, digest: string, timeoutMs = 10_000): Promise<Buffer> {
  const res = await fetch(manifestUrl(a, digest), { headers: { accept: ACCEPT }, signal: AbortSignal.timeout(timeoutMs) });
  if (!res.ok) throw new Error(`GET ${manifestUrl(a, digest)}: HTTP ${res.status}`);
  const config = ((await res.json()) as { config?: { digest?: string } }).config?.digest;
  if (!config) throw new Error(`${manifestUrl(a, digest)} is not a single image's manifest (no config)`);
  const url = `${a.scheme}://${a.host}/v2/${a.repository}/blobs/${config}`;
  const blob = await fetch(url, { signal: AbortSignal.timeout(timeoutMs) });
  if (!blob.ok) throw new Error(`GET ${url}: HTTP ${blob.status}`);
  return Buffer.from(await blob.arrayBuffer());
}

/** Every tag of the cache repository (Distribution's tags/list, following its Link pages). */
export async function listTags(a: RegistryAddress, timeoutMs = 10_000): Promise<string[]> {
  const tags: string[] = [];
  let url: string | undefined = `${a.scheme}://${a.host}/v2/${a.repository}/tags/list?n=1000`;
  while (url) {
    const res: Response = await fetch(url, { signal: AbortSignal.timeout(timeoutMs) });
    if (res.status === 404) return tags; // no repository yet: nothing was ever pushed
    if (!res.ok) throw new Error(`GET ${url}: HTTP ${res.status}`);
    tags.push(...(((await res.json()) as { tags?: string[] | null }).tags ?? []));
    const next = /<([^>]+)>;\s*rel="next"/.exec(res.headers.get('link') ?? '')?.[1];
    url = next ? new URL(next, url).toString() : undefined;
  }
  return tags;
}

/** Deletes the manifest a tag points at (by digest, as the API wants), with every tag on it. */
export async function deleteTag(a: RegistryAddress, tag: string, timeoutMs = 10_000): Promise<void> {
  const head = await headManifest(a, tag, timeoutMs);
  if (head.kind === 'absent') return;
  if (head.kind === 'error') throw new Error(head.message);
  const res = await fetch(manifestUrl(a, head.digest), { method: 'DELETE', signal: AbortSignal.timeout(timeoutMs) });
  if (res.status === 405) throw new Error(`${a.host} does not allow deletes (Distribution: storage.delete.enabled: true)`);
  if (!res.ok && res.status !== 404) throw new Error(`DELETE ${manifestUrl(a, head.digest)}: HTTP ${res.status}`);
}

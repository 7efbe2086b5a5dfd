// The one registry call stalker makes itself: a manifest HEAD (Distribution's HTTP API), which
// says whether a key is in the shared cache and under which digest, without moving any layer.
// Pulls and pushes go through the engine, which holds the layers and the credentials.
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

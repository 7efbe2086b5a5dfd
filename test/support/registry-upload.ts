// Puts an image manifest into a registry through Distribution's HTTP API alone (no engine): a
// config blob carrying the given labels and one empty layer. For tests and the benchmark that
// need a warm registry without running containers.
import { createHash } from 'node:crypto';
import { gzipSync } from 'node:zlib';

const sha = (b: Buffer) => `sha256:${createHash('sha256').update(b).digest('hex')}`;

async function putBlob(base: string, body: Buffer): Promise<string> {
  const digest = sha(body);
  const start = await fetch(`${base}/blobs/uploads/`, { method: 'POST' });
  if (start.status !== 202) throw new Error(`blob upload: HTTP ${start.status}`);
  const location = new URL(start.headers.get('location')!, base);
  location.searchParams.set('digest', digest);
  const put = await fetch(location, { method: 'PUT', body: new Uint8Array(body), headers: { 'content-type': 'application/octet-stream' } });
  if (put.status !== 201) throw new Error(`blob put: HTTP ${put.status}`);
  return digest;
}

/** Returns the manifest digest the registry now holds under `tag`. */
export async function uploadImage(host: string, repository: string, tag: string, labels: Record<string, string>): Promise<string> {
  const base = `http://${host}/v2/${repository}`;
  const layer = gzipSync(Buffer.alloc(1024)); // an empty tar archive
  const layerDigest = await putBlob(base, layer);
  const diffId = sha(Buffer.alloc(1024));
  const config = Buffer.from(
    JSON.stringify({
      architecture: 'amd64',
      os: 'linux',
      config: { Labels: labels },
      rootfs: { type: 'layers', diff_ids: [diffId] },
    }),
  );
  const configDigest = await putBlob(base, config);
  const manifest = Buffer.from(
    JSON.stringify({
      schemaVersion: 2,
      mediaType: 'application/vnd.docker.distribution.manifest.v2+json',
      config: { mediaType: 'application/vnd.docker.container.image.v1+json', size: config.length, digest: configDigest },
      layers: [{ mediaType: 'application/vnd.docker.image.rootfs.diff.tar.gzip', size: layer.length, digest: layerDigest }],
    }),
  );
  const res = await fetch(`${base}/manifests/${tag}`, {
    method: 'PUT',
    body: new Uint8Array(manifest),
    headers: { 'content-type': 'application/vnd.docker.distribution.manifest.v2+json' },
  });
  if (res.status !== 201) throw new Error(`manifest put: HTTP ${res.status} ${await res.text()}`);
  return res.headers.get('docker-content-digest')!;
}

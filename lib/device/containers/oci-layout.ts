import { createHash } from 'node:crypto';
import { createReadStream, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { SysdbError } from '../errors.js';

/** One OCI content descriptor (image-spec descriptor.md); only the fields an import needs. */
export interface Descriptor {
  mediaType: string;
  digest: string;
  size: number;
  platform?: { architecture?: string; os?: string; variant?: string };
}
export interface ImageConfig {
  Entrypoint?: string[] | null;
  Cmd?: string[] | null;
  Env?: string[] | null;
  WorkingDir?: string;
  User?: string;
}
export interface PickedImage {
  manifestDigest: string;
  layers: Descriptor[];
  config: ImageConfig;
}

const INDEX_TYPES = new Set(['application/vnd.oci.image.index.v1+json', 'application/vnd.docker.distribution.manifest.list.v2+json']);
/** Docker's arch names for the Node ones this runs on. */
const ARCH: Record<string, string> = { arm64: 'arm64', x64: 'amd64', arm: 'arm' };
const fail = (why: string) => new SysdbError('BAD_VALUE', why);

/** The blob's path; a digest is checked first, so it can never name a path outside blobs/sha256. */
export function blobPath(dir: string, digest: string): string {
  if (!/^sha256:[0-9a-f]{64}$/.test(digest)) throw fail(`unsupported digest ${JSON.stringify(digest)} (only sha256:<64 hex>)`);
  return path.join(dir, 'blobs', 'sha256', digest.slice(7));
}

/** A small JSON blob (index, manifest, config), verified against its descriptor before it is parsed. */
function readJsonBlob<T>(dir: string, d: Descriptor): T {
  const file = blobPath(dir, d.digest);
  let data: Buffer;
  try {
    data = readFileSync(file);
  } catch (e) {
    throw fail(`blob ${d.digest} is missing (${(e as NodeJS.ErrnoException).code})`);
  }
  checkBlob(d, data.length, createHash('sha256').update(data).digest('hex'));
  try {
    return JSON.parse(data.toString('utf8')) as T;
  } catch {
    throw fail(`blob ${d.digest} is not JSON`);
  }
}

export function checkBlob(d: Descriptor, size: number, hex: string): void {
  if (`sha256:${hex}` !== d.digest) throw fail(`blob ${d.digest} is corrupt: its content hashes to sha256:${hex}`);
  if (typeof d.size === 'number' && d.size !== size) throw fail(`blob ${d.digest} has ${size} bytes, its descriptor says ${d.size}`);
}

/** Streams a blob while hashing it; the returned check throws unless every byte matched the digest. */
export function openBlob(dir: string, d: Descriptor): { stream: NodeJS.ReadableStream; verify: () => void } {
  const file = blobPath(dir, d.digest);
  try {
    statSync(file);
  } catch (e) {
    throw fail(`blob ${d.digest} is missing (${(e as NodeJS.ErrnoException).code})`);
  }
  const hash = createHash('sha256');
  let size = 0;
  const stream = createReadStream(file);
  stream.on('data', (c: string | Buffer) => {
    hash.update(c);
    size += c.length;
  });
  return { stream, verify: () => checkBlob(d, size, hash.digest('hex')) };
}

function pick(manifests: Descriptor[], arch: string): Descriptor {
  const usable = manifests.filter((m) => !m.platform || m.platform.os === undefined || m.platform.os === 'linux');
  // docker save adds attestation manifests with platform unknown/unknown: never an image
  const images = usable.filter((m) => m.platform?.architecture !== 'unknown');
  const match = images.filter((m) => m.platform?.architecture === arch);
  if (match.length) return match.find((m) => arch !== 'arm64' || !m.platform?.variant || m.platform.variant === 'v8') ?? match[0];
  if (images.length === 1 && !images[0].platform?.architecture) return images[0];
  if (images.length === 1) return images[0];
  const have = images.map((m) => `${m.platform?.os}/${m.platform?.architecture}`).join(', ') || 'none';
  throw fail(`no linux/${arch} manifest in the layout (it has: ${have})`);
}

/** Reads DIR's OCI layout down to the manifest for linux/<host arch> (or the only one), verifying each JSON blob. */
export function readLayout(dir: string, hostArch = ARCH[process.arch] ?? process.arch): PickedImage {
  let layout: { imageLayoutVersion?: string };
  try {
    layout = JSON.parse(readFileSync(path.join(dir, 'oci-layout'), 'utf8'));
  } catch (e) {
    throw fail(
      `${dir} is not an OCI image layout (oci-layout: ${(e as NodeJS.ErrnoException).code ?? 'not JSON'}); use docker save (Docker >= 25) or skopeo copy ... oci:DIR`,
    );
  }
  if (layout.imageLayoutVersion !== '1.0.0') throw fail(`${dir}: unsupported imageLayoutVersion ${JSON.stringify(layout.imageLayoutVersion)}`);
  let index: { manifests?: Descriptor[] };
  try {
    index = JSON.parse(readFileSync(path.join(dir, 'index.json'), 'utf8'));
  } catch (e) {
    throw fail(`${dir}/index.json: ${(e as NodeJS.ErrnoException).code ?? 'not JSON'}`);
  }
  let d = pick(index.manifests ?? [], hostArch);
  // nested indexes (docker save writes index.json -> image index -> manifests)
  for (let depth = 0; INDEX_TYPES.has(d.mediaType); depth++) {
    if (depth > 4) throw fail('image indexes nested too deep');
    d = pick(readJsonBlob<{ manifests?: Descriptor[] }>(dir, d).manifests ?? [], hostArch);
  }
  const manifest = readJsonBlob<{ config?: Descriptor; layers?: Descriptor[] }>(dir, d);
  if (!manifest.config || !Array.isArray(manifest.layers)) throw fail(`manifest ${d.digest} has no config or layers`);
  const config = readJsonBlob<{ architecture?: string; config?: ImageConfig }>(dir, manifest.config);
  return { manifestDigest: d.digest, layers: manifest.layers, config: config.config ?? {} };
}

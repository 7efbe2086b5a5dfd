// An OCI image layout on disk (image-spec v1.1: oci-layout, index.json, blobs/sha256/*): the
// store of the daemonless backends. Written here with node:crypto and tar-stream rather than
// umoci: umoci repacks by walking a whole unpacked root (we already have the exact diff as the
// overlay upper dir) and needs one process per operation; skopeo is kept for what it is best at,
// copying an image out to Docker (see README). Refs are `repo:tag` in the index's ref.name
// annotation; an untagged image stays listed (no ref.name) until removed, as Docker's dangling.
import { createHash, randomBytes } from 'node:crypto';
import { createReadStream, createWriteStream } from 'node:fs';
import { mkdir, readFile, rename, rm, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';

export const MEDIA = {
  index: 'application/vnd.oci.image.index.v1+json',
  manifest: 'application/vnd.oci.image.manifest.v1+json',
  config: 'application/vnd.oci.image.config.v1+json',
  layer: 'application/vnd.oci.image.layer.v1.tar',
} as const;

export const REF_NAME = 'org.opencontainers.image.ref.name';

export interface Descriptor {
  mediaType: string;
  digest: string;
  size: number;
  annotations?: Record<string, string>;
}
export interface Manifest {
  schemaVersion: 2;
  mediaType: string;
  config: Descriptor;
  layers: Descriptor[];
}
export interface ImageConfig {
  architecture: string;
  os: string;
  variant?: string;
  created: string;
  config: { Cmd?: string[] | null; Env?: string[]; Labels?: Record<string, string> };
  rootfs: { type: 'layers'; diff_ids: string[] };
  history?: { created: string; created_by: string }[];
}
interface Index {
  schemaVersion: 2;
  mediaType: string;
  manifests: Descriptor[];
}

export class OciLayout {
  private queue: Promise<unknown> = Promise.resolve();
  private readonly json = new Map<string, unknown>(); // blobs never change: parsed once

  constructor(readonly dir: string) {}

  blobPath(digest: string): string {
    return join(this.dir, 'blobs', 'sha256', digest.replace(/^sha256:/, ''));
  }

  async init(): Promise<void> {
    await mkdir(join(this.dir, 'blobs', 'sha256'), { recursive: true });
    await writeFile(join(this.dir, 'oci-layout'), JSON.stringify({ imageLayoutVersion: '1.0.0' }));
  }

  /** Streams a blob in, hashing on the way; returns its descriptor. */
  async putStream(body: Readable, mediaType: string): Promise<Descriptor> {
    const tmp = join(this.dir, 'blobs', `.in-${randomBytes(6).toString('hex')}`);
    const hash = createHash('sha256');
    let size = 0;
    body.on('data', (c: Buffer) => {
      hash.update(c);
      size += c.length;
    });
    await pipeline(body, createWriteStream(tmp));
    const digest = `sha256:${hash.digest('hex')}`;
    await rename(tmp, this.blobPath(digest));
    return { mediaType, digest, size };
  }

  async putFile(file: string, mediaType: string): Promise<Descriptor> {
    return this.putStream(createReadStream(file), mediaType);
  }

  async putJson(value: unknown, mediaType: string): Promise<Descriptor> {
    const bytes = Buffer.from(JSON.stringify(value));
    const digest = `sha256:${createHash('sha256').update(bytes).digest('hex')}`;
    await writeFile(this.blobPath(digest), bytes);
    return { mediaType, digest, size: bytes.length };
  }

  async readJson<T>(digest: string): Promise<T> {
    const known = this.json.get(digest);
    if (known) return known as T;
    const value = JSON.parse(await readFile(this.blobPath(digest), 'utf8')) as T;
    this.json.set(digest, value);
    return value;
  }

  async hasBlob(digest: string): Promise<boolean> {
    return stat(this.blobPath(digest)).then(
      () => true,
      () => false,
    );
  }

  async removeBlob(digest: string): Promise<void> {
    this.json.delete(digest);
    await rm(this.blobPath(digest), { force: true });
  }

  /** index.lock, made exclusively; one left by a killed process (older than 30 s) is taken over. */
  private async lock(): Promise<() => Promise<void>> {
    const path = join(this.dir, 'index.lock');
    for (let waited = 0; ; waited += 20) {
      try {
        await writeFile(path, String(process.pid), { flag: 'wx' });
        return () => rm(path, { force: true });
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
        const age = await stat(path).then(
          (s) => Date.now() - s.mtimeMs,
          () => 0,
        );
        if (age > 30_000) await rm(path, { force: true });
        else if (waited > 60_000) throw new Error(`${path} held for over a minute: remove it if no stalker runs on this store`);
        await new Promise((r) => setTimeout(r, 20));
      }
    }
  }

  async manifests(): Promise<Descriptor[]> {
    try {
      return (JSON.parse(await readFile(join(this.dir, 'index.json'), 'utf8')) as Index).manifests;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return [];
      throw err;
    }
  }

  /**
   * Read-modify-write of index.json, replaced atomically: one at a time in this process (a queue)
   * and across processes on one store (builds of two trees by one user): a lock file.
   */
  updateIndex(change: (manifests: Descriptor[]) => Descriptor[]): Promise<void> {
    const next = this.queue.then(async () => {
      const release = await this.lock();
      try {
        const manifests = change(await this.manifests());
        const tmp = join(this.dir, `.index-${process.pid}.json`);
        await writeFile(tmp, JSON.stringify({ schemaVersion: 2, mediaType: MEDIA.index, manifests } satisfies Index, null, 1));
        await rename(tmp, join(this.dir, 'index.json'));
      } finally {
        await release();
      }
    });
    this.queue = next.catch(() => {});
    return next;
  }
}

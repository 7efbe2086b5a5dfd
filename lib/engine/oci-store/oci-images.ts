// The port's ImageClient over an OCI layout: an image id is its config digest (as Docker's), a tag
// is a ref.name in the index; labels live in the config. Removing an image drops blobs no other
// image uses; the caller's hook drops what it derived from them (unpacked layers).
import { randomBytes } from 'node:crypto';
import type { ImageClient, ImageDetails, ImageSummary, ImportOptions, Labels } from '../engine-port.js';
import { type Descriptor, type ImageConfig, type Manifest, MEDIA, OciLayout, REF_NAME } from './oci-layout.js';

export interface StoredImage {
  id: string;
  manifest: Descriptor;
  config: ImageConfig;
  layers: Descriptor[];
  tags: string[];
}

const matches = (have: Labels, want: Labels) => Object.entries(want).every(([k, v]) => (v === '' ? k in have : have[k] === v));

export const DEFAULT_ENV = ['PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin'];

export class OciImages implements ImageClient {
  constructor(
    readonly layout: OciLayout,
    private readonly onBlobsGone: (digests: string[]) => Promise<void> = async () => {},
  ) {}

  async all(): Promise<StoredImage[]> {
    const byManifest = new Map<string, StoredImage>();
    for (const d of await this.layout.manifests()) {
      let image = byManifest.get(d.digest);
      if (!image) {
        const m = await this.layout.readJson<Manifest>(d.digest);
        image = {
          id: m.config.digest,
          manifest: { mediaType: d.mediaType, digest: d.digest, size: d.size },
          config: await this.layout.readJson<ImageConfig>(m.config.digest),
          layers: m.layers,
          tags: [],
        };
        byManifest.set(d.digest, image);
      }
      const ref = d.annotations?.[REF_NAME];
      if (ref) image.tags.push(ref);
    }
    return [...byManifest.values()];
  }

  async find(ref: string): Promise<StoredImage | undefined> {
    const all = await this.all();
    const hex = ref.replace(/^sha256:/, '');
    return (
      all.find((i) => i.id === ref || i.tags.includes(ref)) ??
      (hex.length >= 12 && /^[0-9a-f]+$/.test(hex) ? all.find((i) => i.id.slice(7).startsWith(hex)) : undefined)
    );
  }

  private summary(i: StoredImage): ImageSummary {
    return {
      id: i.id,
      tags: [...i.tags],
      labels: { ...(i.config.config.Labels ?? {}) },
      created: Date.parse(i.config.created) / 1000,
      size: i.layers.reduce((n, l) => n + l.size, 0),
    };
  }

  async list(labels: Labels): Promise<ImageSummary[]> {
    return (await this.all()).filter((i) => matches(i.config.config.Labels ?? {}, labels)).map((i) => this.summary(i));
  }

  async inspect(ref: string): Promise<ImageDetails | undefined> {
    const i = await this.find(ref);
    if (!i) return undefined;
    return { ...this.summary(i), architecture: i.config.architecture, os: i.config.os, cmd: i.config.config.Cmd ?? null, env: i.config.config.Env ?? [] };
  }

  async tag(id: string, repo: string, tag: string): Promise<void> {
    const image = await this.find(id);
    if (!image) throw new Error(`no image ${id}`);
    await this.setRef(image.manifest, `${repo}:${tag}`);
  }

  /** Points `ref` at the manifest; an image that loses its last ref stays, untagged. */
  async setRef(manifest: Descriptor, ref: string): Promise<void> {
    await this.layout.updateIndex((ms) => {
      const out: Descriptor[] = [];
      for (const d of ms) {
        if (d.annotations?.[REF_NAME] !== ref) {
          out.push(d);
          continue;
        }
        const others = ms.some((o) => o !== d && o.digest === d.digest);
        if (!others && d.digest !== manifest.digest) out.push({ mediaType: d.mediaType, digest: d.digest, size: d.size });
      }
      const bare = out.findIndex((d) => d.digest === manifest.digest && !d.annotations?.[REF_NAME]);
      if (bare >= 0) out.splice(bare, 1);
      out.push({ ...manifest, annotations: { [REF_NAME]: ref } });
      return out;
    });
  }

  /** A tag untags (the image goes with its last tag); an id removes the image and every tag. */
  async remove(ref: string): Promise<void> {
    const image = await this.find(ref);
    if (!image) return;
    const byTag = image.tags.includes(ref) && image.tags.length > 1;
    await this.layout.updateIndex((ms) => ms.filter((d) => d.digest !== image.manifest.digest || (byTag && d.annotations?.[REF_NAME] !== ref)));
    if (!byTag) await this.collect();
  }

  /** Deletes blobs no listed image reaches. */
  private async collect(): Promise<void> {
    const live = new Set<string>();
    for (const i of await this.all()) [i.manifest.digest, i.id, ...i.layers.map((l) => l.digest)].forEach((d) => live.add(d));
    const { readdir } = await import('node:fs/promises');
    const gone = (await readdir(this.layout.blobPath('sha256:')).catch(() => [] as string[])).map((h) => `sha256:${h}`).filter((d) => !live.has(d));
    for (const d of gone) await this.layout.removeBlob(d);
    await this.onBlobsGone(gone);
  }

  async importTar(rootTar: string, opts: ImportOptions): Promise<string> {
    await this.layout.init();
    const layer = await this.layout.putFile(rootTar, MEDIA.layer);
    const [os, architecture, variant] = opts.platform.split('/');
    const created = new Date().toISOString();
    const config: ImageConfig = {
      architecture,
      os,
      ...(variant ? { variant } : {}),
      created,
      config: { Cmd: ['/bin/sh'], Env: DEFAULT_ENV, Labels: opts.labels },
      rootfs: { type: 'layers', diff_ids: [layer.digest] }, // uncompressed layers: digest = diff id
      history: [{ created, created_by: 'stalker import' }],
    };
    return this.add(config, [layer], `${opts.repo}:${opts.tag}`);
  }

  /** Writes config and manifest, points the ref at it; returns the image id. */
  async add(config: ImageConfig, layers: Descriptor[], ref: string): Promise<string> {
    const c = await this.layout.putJson(config, MEDIA.config);
    const m: Manifest = { schemaVersion: 2, mediaType: MEDIA.manifest, config: c, layers };
    const md = await this.layout.putJson(m, MEDIA.manifest);
    await this.setRef(md, ref);
    return c.digest;
  }
}

export const newId = () => randomBytes(16).toString('hex');

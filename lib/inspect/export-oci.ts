// `stalker export NODE --oci DIR`: the node's image as an OCI image layout (oci-layout, index.json,
// blobs/sha256/*) that skopeo and the device's `sysdb image import` read. Docker engine: its image
// export (`docker save`: the legacy manifest.json format before Docker 25, an OCI layout inside the
// tar since), unpacked beside DIR; rootless engines: the blobs of their own OCI store. Either way
// every layer is hashed on the way and the config is rewritten for the device (deviceConfig), the
// layout is made in DIR.partial-PID and renamed to DIR: a failure leaves nothing half-written.
import { createHash } from 'node:crypto';
import { createReadStream, createWriteStream, existsSync } from 'node:fs';
import { copyFile, mkdir, readFile, readdir, realpath, rename, rm, rmdir, symlink, writeFile } from 'node:fs/promises';
import { dirname, join, normalize, resolve } from 'node:path';
import type { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { extract as tarExtract } from 'tar-stream';
import type { Engine } from '../engine/engine-port.js';
import { LABEL } from '../engine/labels.js';
import { type Descriptor, MEDIA, REF_NAME } from '../engine/oci-store/oci-layout.js';
import { StalkerError } from '../errors.js';

export interface OciExportRequest {
  engine: Engine;
  ref: string; // <repository>/<node>:<tag>: the engine's name, and the layout's ref.name
  platform: string; // the node's, e.g. linux/arm64
  dir: string;
}

type Json = Record<string, unknown>;
interface Source {
  config: Json;
  layers: { file: string; mediaType: string; digest?: string }[]; // digest: what the source claims
}

/** The container config fields a device runtime uses; the rest (Hostname, Image, Attach*) is the build's. */
const KEPT_CONFIG = ['User', 'Env', 'Entrypoint', 'Cmd', 'WorkingDir', 'ExposedPorts', 'Volumes', 'StopSignal'];
/** Labels that say what the image is; run id, pid, engine-local parent id and key parts are the build host's. */
const KEPT_LABELS = [LABEL.tool, LABEL.version, LABEL.tree, LABEL.node, LABEL.step, LABEL.key];
const OCI_LAYER: Record<string, string> = {
  'application/vnd.docker.image.rootfs.diff.tar': MEDIA.layer,
  'application/vnd.docker.image.rootfs.diff.tar.gzip': `${MEDIA.layer}+gzip`,
};

export function ociPlatform(platform: string): { os: string; architecture: string; variant?: string } {
  const [os, architecture, variant] = platform.split('/');
  return { os, architecture, ...(variant ? { variant } : {}) };
}

/** The image config as the device gets it: platform, rootfs, created, the kept config fields and labels; no history. */
export function deviceConfig(src: Json, platform: string, diffIds: string[]): Json {
  const from = (src.config ?? src.Config ?? {}) as Json;
  const config: Json = {};
  for (const k of KEPT_CONFIG) if (from[k] !== undefined && from[k] !== null && from[k] !== '') config[k] = from[k];
  const labels = Object.entries((from.Labels ?? {}) as Record<string, string>).filter(
    ([k]) => (KEPT_LABELS as readonly string[]).includes(k) || k.startsWith('org.opencontainers.image.'),
  );
  if (labels.length) config.Labels = Object.fromEntries(labels.sort(([a], [b]) => (a < b ? -1 : 1)));
  return { created: src.created, ...ociPlatform(platform), config, rootfs: { type: 'layers', diff_ids: diffIds } };
}

export async function exportOci(req: OciExportRequest): Promise<Descriptor> {
  if (existsSync(req.dir) && (await readdir(req.dir)).length)
    throw new StalkerError('USAGE', `--oci ${req.dir} is not empty: name an empty or new directory (nothing is overwritten)`);
  const stage = `${resolve(req.dir)}.partial-${process.pid}`;
  await rm(stage, { recursive: true, force: true });
  await mkdir(join(stage, 'blobs', 'sha256'), { recursive: true });
  try {
    const src = req.engine.ociLayout ? await fromStore(req.engine.ociLayout, req.ref) : await fromDockerSave(req.engine, req.ref, join(stage, '.save'));
    const layers: Descriptor[] = [];
    const done = new Map<string, Descriptor>(); // save links a repeated layer to its first copy
    for (const l of src.layers) {
      const file = await realpath(l.file);
      const d = done.get(file) ?? (await putBlob(stage, file, OCI_LAYER[l.mediaType] ?? l.mediaType, l.digest));
      done.set(file, d);
      layers.push(d);
    }
    // an uncompressed layer's digest is its diff id; a compressed one's is the config's
    const given = ((src.config.rootfs ?? {}) as Json).diff_ids as string[] | undefined;
    const diffIds = layers.map((l, i) => (l.mediaType === MEDIA.layer ? l.digest : given?.[i]));
    if (diffIds.some((d) => !d)) throw new StalkerError('ENGINE', `${req.ref}: the image config has no diff id for a compressed layer`);
    const config = await putJson(stage, deviceConfig(src.config, req.platform, diffIds as string[]), MEDIA.config);
    const manifest = await putJson(stage, { schemaVersion: 2, mediaType: MEDIA.manifest, config, layers }, MEDIA.manifest);
    const entry = { ...manifest, platform: ociPlatform(req.platform), annotations: { [REF_NAME]: req.ref } };
    await rm(join(stage, '.save'), { recursive: true, force: true });
    await writeFile(join(stage, 'oci-layout'), JSON.stringify({ imageLayoutVersion: '1.0.0' }));
    await writeFile(join(stage, 'index.json'), JSON.stringify({ schemaVersion: 2, mediaType: MEDIA.index, manifests: [entry] }, null, 1));
    if (existsSync(req.dir)) await rmdir(req.dir); // empty (checked above); rmdir refuses otherwise
    await mkdir(dirname(resolve(req.dir)), { recursive: true });
    await rename(stage, req.dir);
    return entry;
  } finally {
    await rm(stage, { recursive: true, force: true });
  }
}

/** Hashes the file (a real path) into blobs/sha256/<hex>: moved when it is the stage's own, else copied. */
async function putBlob(stage: string, file: string, mediaType: string, claimed?: string): Promise<Descriptor> {
  const hash = createHash('sha256');
  let size = 0;
  for await (const c of createReadStream(file) as AsyncIterable<Buffer>) {
    hash.update(c);
    size += c.length;
  }
  const digest = `sha256:${hash.digest('hex')}`;
  if (claimed && claimed !== digest) throw new StalkerError('ENGINE', `layer ${file} hashes to ${digest}, not ${claimed}: the engine's copy is damaged`);
  const dest = join(stage, 'blobs', 'sha256', digest.slice(7));
  if (!existsSync(dest)) {
    const own = file.startsWith(`${await realpath(stage)}/`); // a file of the unpacked save, not of a store
    await (own ? rename(file, dest) : copyFile(file, dest));
  }
  return { mediaType, digest, size };
}

async function putJson(stage: string, value: unknown, mediaType: string): Promise<Descriptor> {
  const bytes = Buffer.from(JSON.stringify(value));
  const digest = `sha256:${createHash('sha256').update(bytes).digest('hex')}`;
  await writeFile(join(stage, 'blobs', 'sha256', digest.slice(7)), bytes);
  return { mediaType, digest, size: bytes.length };
}

const readJson = async (file: string) => JSON.parse(await readFile(file, 'utf8')) as Json;
const blob = (layout: string, digest: string) => join(layout, 'blobs', 'sha256', digest.replace(/^sha256:/, ''));

/** A rootless engine's store: the manifest named ref in its index, its config and layer blobs. */
async function fromStore(layout: string, ref: string): Promise<Source> {
  const index = await readJson(join(layout, 'index.json'));
  const d = (index.manifests as Descriptor[]).find((m) => m.annotations?.[REF_NAME] === ref);
  if (!d) throw new StalkerError('NOT_FOUND', `no image ${ref} in ${layout}`);
  return fromManifest(layout, await readJson(blob(layout, d.digest)));
}

async function fromManifest(layout: string, m: Json): Promise<Source> {
  const config = await readJson(blob(layout, (m.config as Descriptor).digest));
  return { config, layers: (m.layers as Descriptor[]).map((l) => ({ file: blob(layout, l.digest), mediaType: l.mediaType, digest: l.digest })) };
}

/** `docker save` unpacked into dir: an OCI layout (Docker 25+) or manifest.json's config and layer.tar files. */
async function fromDockerSave(engine: Engine, ref: string, dir: string): Promise<Source> {
  if (!engine.images.save) throw new StalkerError('USAGE', `the ${engine.kind} engine cannot export an image (no save)`);
  await untar(await engine.images.save(ref), dir);
  if (existsSync(join(dir, 'index.json'))) {
    let d = ((await readJson(join(dir, 'index.json'))).manifests as Descriptor[])[0];
    let m = await readJson(blob(dir, d.digest));
    if (Array.isArray(m.manifests)) {
      // an image index (containerd store): the one manifest it holds for a platform
      d = (m.manifests as (Descriptor & { platform?: Json })[]).find((x) => x.platform && x.platform.architecture !== 'unknown') ?? d;
      m = await readJson(blob(dir, d.digest));
    }
    return fromManifest(dir, m);
  }
  const [entry] = JSON.parse(await readFile(join(dir, 'manifest.json'), 'utf8')) as { Config: string; Layers: string[] }[];
  return {
    config: await readJson(join(dir, entry.Config)),
    layers: entry.Layers.map((f) => ({ file: join(dir, f), mediaType: MEDIA.layer })),
  };
}

/** Files, directories and symlinks (save links a repeated layer) of a tar stream, none escaping dir. */
async function untar(stream: Readable, dir: string): Promise<void> {
  const inside = (name: string) => {
    const p = normalize(join(dir, name));
    if (p !== dir && !p.startsWith(`${dir}/`)) throw new StalkerError('ENGINE', `the engine's image export holds a path outside it: ${name}`);
    return p;
  };
  const extract = tarExtract();
  const done = new Promise<void>((ok, fail) => {
    extract.on('entry', (h, body, next) => {
      const path = inside(h.name);
      const step = async () => {
        await mkdir(h.type === 'directory' ? path : dirname(path), { recursive: true });
        if (h.type === 'file') await pipeline(body, createWriteStream(path));
        else {
          if (h.type === 'symlink' && inside(join(dirname(h.name), h.linkname ?? ''))) await symlink(h.linkname!, path);
          body.resume();
        }
      };
      step().then(() => next(), fail);
    });
    extract.on('finish', ok).on('error', fail);
  });
  stream.on('error', (e) => extract.destroy(e));
  stream.pipe(extract);
  await done;
}

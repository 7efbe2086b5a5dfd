// A docker-archive (the `docker save` format) holding one layer: a root filesystem tar. Loading it
// instead of `docker import` lets stalker write the image config itself: the architecture (which
// Debian's engine 20.10 leaves at the host's on import, so an arm64 root would be refused by
// `create --platform linux/arm64`), labels, Cmd and a fixed creation time.
import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import type { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { pack } from 'tar-stream';
import { fileSha256 } from '../util/file-sha256.js';
import type { Labels } from './engine-port.js';

export interface ArchiveConfig {
  platform: string; // linux/arm64, linux/arm/v7
  labels: Labels;
  cmd: string[];
  created: string; // ISO time; fixed so the same root gives the same image id
}

/** The image config JSON and the image id it yields (sha256 of exactly these bytes). */
export function imageConfig(diffId: string, c: ArchiveConfig): { json: string; id: string } {
  const [os, architecture, variant] = c.platform.split('/');
  const config = {
    architecture,
    os,
    ...(variant ? { variant } : {}),
    created: c.created,
    config: { Cmd: c.cmd, Labels: c.labels, Env: ['PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin'] },
    rootfs: { type: 'layers', diff_ids: [`sha256:${diffId}`] },
    history: [{ created: c.created, created_by: 'stalker bootstrap' }],
  };
  const json = JSON.stringify(config);
  return { json, id: `sha256:${createHash('sha256').update(json).digest('hex')}` };
}

/** Streams the archive; the root tar is read twice (hash, then content), never held in memory. */
export async function imageArchive(rootTar: string, c: ArchiveConfig, repoTag: string): Promise<{ stream: Readable; id: string }> {
  const diffId = await fileSha256(rootTar);
  const { json, id } = imageConfig(diffId, c);
  const configName = `${id.slice(7)}.json`;
  const manifest = JSON.stringify([{ Config: configName, RepoTags: [repoTag], Layers: ['layer/layer.tar'] }]);
  const archive = pack();
  const size = (await stat(rootTar)).size;
  void (async () => {
    try {
      const entry = archive.entry({ name: 'layer/layer.tar', size, mode: 0o644 });
      await pipeline(createReadStream(rootTar), entry);
      archive.entry({ name: configName, mode: 0o644 }, json);
      archive.entry({ name: 'manifest.json', mode: 0o644 }, manifest);
      archive.finalize();
    } catch (err) {
      archive.destroy(err as Error);
    }
  })();
  return { stream: archive as unknown as Readable, id };
}

/**
 * A docker-archive of a config alone, for an image whose layers the engine holds already: Docker's
 * load looks each layer up by its chain id before it opens the layer's file, so the names in the
 * manifest are never read. A layer the engine lacks fails the load (a missing file), never a
 * half image.
 */
export function configArchive(config: Buffer): { stream: Readable; id: string } {
  const id = `sha256:${createHash('sha256').update(config).digest('hex')}`;
  const diffIds = (JSON.parse(config.toString('utf8')) as { rootfs?: { diff_ids?: string[] } }).rootfs?.diff_ids ?? [];
  const configName = `${id.slice(7)}.json`;
  const manifest = JSON.stringify([{ Config: configName, RepoTags: [], Layers: diffIds.map((d) => `${d.slice(7)}/layer.tar`) }]);
  const archive = pack();
  archive.entry({ name: configName, mode: 0o644 }, config);
  archive.entry({ name: 'manifest.json', mode: 0o644 }, manifest);
  archive.finalize();
  return { stream: archive as unknown as Readable, id };
}

// Where the daemonless backends keep things: STALKER_STORE (the --store flag), else
// $XDG_DATA_HOME/stalker, else ~/.local/share/stalker. oci/ is a plain OCI image layout (skopeo
// and umoci read it); layers/ holds each layer unpacked once, by digest, as overlay lower dirs;
// containers/ and volumes/ are the running state.
import { createReadStream } from 'node:fs';
import { mkdir, rename, rm, stat } from 'node:fs/promises';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { OciImages, newId } from '../oci-store/oci-images.js';
import { OciLayout } from '../oci-store/oci-layout.js';
import type { IdMap } from './id-map.js';
import { layerToLower } from './overlay-whiteouts.js';
import { q } from './ns-scripts.js';
import { nsRun } from './user-namespace.js';

export function storeDir(env: NodeJS.ProcessEnv = process.env): string {
  if (env.STALKER_STORE) return env.STALKER_STORE;
  return join(env.XDG_DATA_HOME || join(homedir(), '.local', 'share'), 'stalker');
}

/** Lower dir names are short (overlay's mount options are one page: ~190 layers fit). */
const lowerName = (digest: string) => digest.replace(/^sha256:/, '').slice(0, 20);

export class UsernsStore {
  readonly layout: OciLayout;
  readonly images: OciImages;
  readonly layersDir: string;
  readonly containersDir: string;
  readonly volumesDir: string;
  private readonly unpacking = new Map<string, Promise<string>>();

  constructor(
    readonly dir: string,
    private readonly ids: IdMap,
  ) {
    this.layout = new OciLayout(join(dir, 'oci'));
    this.images = new OciImages(this.layout, (gone) => this.dropUnpacked(gone));
    this.layersDir = join(dir, 'layers');
    this.containersDir = join(dir, 'containers');
    this.volumesDir = join(dir, 'volumes');
  }

  async init(): Promise<void> {
    await this.layout.init();
    for (const d of [this.layersDir, join(this.layersDir, '.empty'), this.containersDir, this.volumesDir]) await mkdir(d, { recursive: true });
  }

  /** The lower dir names of these layers (bottom first), unpacking the ones not unpacked yet. */
  async unpacked(digests: string[]): Promise<string[]> {
    return Promise.all(
      digests.map((d) => {
        let p = this.unpacking.get(d);
        if (!p) {
          p = this.unpack(d);
          this.unpacking.set(d, p);
          p.catch(() => this.unpacking.delete(d));
        }
        return p;
      }),
    );
  }

  private async unpack(digest: string): Promise<string> {
    const name = lowerName(digest);
    const dir = join(this.layersDir, name);
    if (
      await stat(dir).then(
        () => true,
        () => false,
      )
    )
      return name;
    const tmp = join(this.layersDir, `.in-${newId().slice(0, 12)}`);
    await mkdir(tmp);
    // As root of the namespace, so every file keeps its owner (mapped into the subordinate range).
    await nsRun(`unpack layer ${digest}`, `exec tar -C ${q(tmp)} --numeric-owner --xattrs --xattrs-include='*' -xpf -\n`, this.ids, {
      input: layerToLower(createReadStream(this.layout.blobPath(digest))),
    });
    await rename(tmp, dir);
    return name;
  }

  /** A committed container's upper dir becomes its layer's unpacked copy. */
  async adoptUnpacked(digest: string, upper: string): Promise<void> {
    const dir = join(this.layersDir, lowerName(digest));
    if (
      await stat(dir).then(
        () => true,
        () => false,
      )
    )
      return;
    await rename(upper, dir);
    this.unpacking.set(digest, Promise.resolve(lowerName(digest)));
  }

  private async dropUnpacked(digests: string[]): Promise<void> {
    for (const d of digests) {
      this.unpacking.delete(d);
      await this.removeTree(join(this.layersDir, lowerName(d)));
    }
  }

  /** rm -rf as the namespace's root: the files belong to its ids, not to us. */
  async removeTree(path: string): Promise<void> {
    if (
      !(await stat(path).then(
        () => true,
        () => false,
      ))
    )
      return;
    await nsRun(`remove ${path}`, `exec rm -rf ${q(path)}\n`, this.ids);
    await rm(path, { recursive: true, force: true });
  }
}

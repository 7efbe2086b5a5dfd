import { mkdirSync, readdirSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { SysdbError } from '../errors.js';
import { imageName } from '../formats.js';
import { applyLayer } from './layer-unpack.js';
import { openBlob, readLayout, type ImageConfig } from './oci-layout.js';

/** The device's image store; STALKER_IMAGE_STORE moves it (tests). */
export const DEFAULT_STORE = '/var/lib/stalker/images';
export const storeDir = (env: NodeJS.ProcessEnv = process.env) => env.STALKER_IMAGE_STORE || DEFAULT_STORE;

/** What `image.json` holds: the parts of the OCI config a container is started from. */
export interface StoredImage extends ImageConfig {
  name: string;
  manifest: string;
  importedAt: string;
}

function checkName(name: string): void {
  const why = imageName(name);
  if (why) throw new SysdbError('USAGE', `image name ${JSON.stringify(name)} rejected: expected ${why}`);
}

export const rootfsOf = (store: string, name: string) => path.join(store, name, 'rootfs');

/** The image's metadata, or undefined when the store has no complete image of that name. */
export function readImage(store: string, name: string): StoredImage | undefined {
  if (imageName(name)) return undefined;
  try {
    if (!statSync(rootfsOf(store, name)).isDirectory()) return undefined;
    return JSON.parse(readFileSync(path.join(store, name, 'image.json'), 'utf8')) as StoredImage;
  } catch {
    return undefined;
  }
}

export function listImages(store: string): StoredImage[] {
  let names: string[];
  try {
    names = readdirSync(store);
  } catch {
    return [];
  }
  return names
    .filter((n) => !n.startsWith('.'))
    .sort()
    .flatMap((n) => readImage(store, n) ?? []);
}

/**
 * Imports the OCI layout in dir as NAME: every blob verified, the layers unpacked in order into a
 * temporary directory beside the store's NAME, then renamed into place; a failure leaves nothing.
 * `busy(name)` names running containers that use the image: then an existing image is not replaced.
 */
export async function importImage(store: string, dir: string, name: string, busy: (name: string) => Promise<string[]>): Promise<StoredImage> {
  checkName(name);
  const picked = readLayout(dir);
  if (readImage(store, name)) {
    const users = await busy(name);
    if (users.length)
      throw new SysdbError(
        'CONFLICT',
        `image ${name} is used by running container${users.length > 1 ? 's' : ''} ${users.join(', ')}: stop ${users.length > 1 ? 'them' : 'it'} first`,
      );
  }
  mkdirSync(store, { recursive: true, mode: 0o700 });
  const tmp = path.join(store, `.import-${name}-${process.pid}-${Date.now()}`);
  try {
    mkdirSync(path.join(tmp, 'rootfs'), { recursive: true, mode: 0o755 });
    for (const layer of picked.layers) {
      const blob = openBlob(dir, layer);
      await applyLayer(path.join(tmp, 'rootfs'), blob.stream, layer.mediaType, layer.digest);
      blob.verify();
    }
    const c = picked.config;
    const image: StoredImage = {
      name,
      manifest: picked.manifestDigest,
      Entrypoint: c.Entrypoint ?? null,
      Cmd: c.Cmd ?? null,
      Env: c.Env ?? [],
      WorkingDir: c.WorkingDir ?? '',
      User: c.User ?? '',
      importedAt: new Date().toISOString(),
    };
    writeFileSync(path.join(tmp, 'image.json'), `${JSON.stringify(image, null, 2)}\n`);
    const old = path.join(store, `.old-${name}-${process.pid}`);
    const final = path.join(store, name);
    let replaced = false;
    try {
      renameSync(final, old);
      replaced = true;
    } catch {
      // nothing there yet
    }
    renameSync(tmp, final);
    if (replaced) rmSync(old, { recursive: true, force: true });
    return image;
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
}

export async function removeImage(store: string, name: string, busy: (name: string) => Promise<string[]>): Promise<void> {
  checkName(name);
  if (!readImage(store, name) && !statSafe(path.join(store, name))) throw new SysdbError('NOT_FOUND', `image ${name} does not exist`);
  const users = await busy(name);
  if (users.length)
    throw new SysdbError(
      'CONFLICT',
      `image ${name} is used by container${users.length > 1 ? 's' : ''} ${users.join(', ')} (state run): stop ${users.length > 1 ? 'them' : 'it'} first`,
    );
  const gone = path.join(store, `.rm-${name}-${process.pid}`);
  renameSync(path.join(store, name), gone);
  rmSync(gone, { recursive: true, force: true });
}

function statSafe(p: string): boolean {
  try {
    statSync(p);
    return true;
  } catch {
    return false;
  }
}

// The rootfs as an overlay of the engine's own layer directories, instead of `docker export | tar
// -x` and a recursive delete afterwards (for trees/raspi: ~11 s and ~3 s of every write). The
// layers are overlayfs lower layers, which the kernel never writes; what the writer changes
// (identity files, fstab, clamped times, the boot content moved out) lands in a scratch upper:
//   metacopy=on  clamping a file's time copies its metadata up, not its data;
//   index=on     a hardlinked file copied up stays one inode under all its names.
// The lower layers are mounted through numbered symlinks relative to the scratch directory, so a
// stack of hundreds of layers stays within the one page that mount options may take.
import { mkdir, symlink } from 'node:fs/promises';
import { join } from 'node:path';
import { runTool } from './run-tool.js';
import { WriterError } from './writer-error.js';

/** Mounts the overlay at WORK/root and returns that path; removeScratch(work) unmounts it. */
export async function mountLayers(layers: readonly string[], work: string): Promise<string> {
  if (!layers.length) throw new WriterError('WRITER_MOUNT', 'no layers to mount');
  await Promise.all(['layers', 'upper', 'overlay-work', 'root'].map((d) => mkdir(join(work, d))));
  await Promise.all(layers.map((dir, i) => symlink(dir, join(work, 'layers', String(i)))));
  const lower = layers.map((_, i) => `layers/${i}`).join(':');
  const options = `lowerdir=${lower},upperdir=upper,workdir=overlay-work,metacopy=on,index=on,redirect_dir=on`;
  try {
    await runTool('mount', ['-t', 'overlay', 'stalker-writer', '-o', options, 'root'], { cwd: work });
  } catch (err) {
    throw new WriterError('WRITER_MOUNT', `cannot mount the image's ${layers.length} layers as an overlay: ${(err as Error).message}`, { cause: err });
  }
  return join(work, 'root');
}

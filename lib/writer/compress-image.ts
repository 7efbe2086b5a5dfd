import { open, rename, rm } from 'node:fs/promises';
import { ExecError } from '../errors.js';
import { exec } from '../util/exec.js';
import { WriterError } from './writer-error.js';

export type Compression = 'none' | 'zstd' | 'xz';

export function compressedPath(image: string, c: Exclude<Compression, 'none'>): string {
  return `${image}${c === 'zstd' ? '.zst' : '.xz'}`;
}

/**
 * Writes a compressed copy beside the image. Both tools are run so their output depends only on
 * the input: zstd's is the same for any thread count, and xz with a fixed block size splits the
 * stream the same way in single- and multi-threaded mode.
 */
export async function compressImage(image: string, c: Exclude<Compression, 'none'>): Promise<string> {
  const dest = compressedPath(image, c);
  const tmp = `${dest}.partial`;
  const args = c === 'zstd' ? ['-q', '-c', '-T0', '-3', '--no-progress', image] : ['-q', '-c', '-T0', '-6', '--block-size=64MiB', image];
  const out = await open(tmp, 'w');
  try {
    await exec(c === 'zstd' ? 'zstd' : 'xz', args, { stdout: out.fd }).catch((err: unknown) => {
      if (err instanceof ExecError && err.exitCode !== null)
        throw new WriterError('WRITER_TOOL', `${c} failed compressing ${image} (exit ${err.exitCode})`, { cause: err });
      throw err;
    });
    await out.sync();
  } catch (err) {
    await rm(tmp, { force: true });
    throw err instanceof WriterError ? err : new WriterError('WRITER_TOOL', `cannot run ${c}: ${(err as Error).message}`, { cause: err });
  } finally {
    await out.close();
  }
  await rename(tmp, dest);
  return dest;
}

import { spawn } from 'node:child_process';
import { pipeline } from 'node:stream/promises';
import type { Readable } from 'node:stream';
import { WriterError } from './writer-error.js';

/**
 * Streams a rootfs tar (as `docker export` gives it) into `dir` through GNU tar: the archive is
 * never held in memory, and tar (as root) restores owners by number, modes, device nodes,
 * hardlinks and xattrs such as security.capability.
 */
export async function extractRootfs(input: Readable, dir: string): Promise<void> {
  const args = ['-x', '-f', '-', '-C', dir, '--numeric-owner', '--same-owner', '--same-permissions',
    '--xattrs', '--xattrs-include=*', '--delay-directory-restore'];
  const tar = spawn('tar', args, { stdio: ['pipe', 'ignore', 'pipe'], env: { ...process.env, LC_ALL: 'C' } });
  let stderr = '';
  tar.stderr.setEncoding('utf8').on('data', (d: string) => { stderr = (stderr + d).slice(-16384); });
  const exited = new Promise<number | null>((resolve, reject) => {
    tar.on('error', reject);
    tar.on('close', (code) => resolve(code));
  });
  let streamError: unknown;
  try {
    await pipeline(input, tar.stdin);
  } catch (err) {
    streamError = err;
    tar.kill('SIGTERM');
  }
  const code = await exited.catch((err: Error) => { throw new WriterError('WRITER_EXTRACT', `cannot run tar: ${err.message}`, { cause: err }); });
  if (code !== 0 && !(streamError && code === null)) {
    // tar's own complaint beats the EPIPE the stream sees when tar gives up early
    const tail = stderr.trim().split('\n').slice(-8).join('\n');
    throw new WriterError('WRITER_EXTRACT', `tar could not unpack the rootfs stream (exit ${code}):\n${tail}`, { cause: streamError });
  }
  if (streamError) throw new WriterError('WRITER_EXTRACT', `reading the rootfs stream failed: ${(streamError as Error).message}`, { cause: streamError });
}

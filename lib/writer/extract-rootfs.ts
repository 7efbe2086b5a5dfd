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
  const args = [
    '-x',
    '-f',
    '-',
    '-C',
    dir,
    '--numeric-owner',
    '--same-owner',
    '--same-permissions',
    '--xattrs',
    '--xattrs-include=*',
    '--delay-directory-restore',
  ];
  const tar = spawn('tar', args, { stdio: ['pipe', 'ignore', 'pipe'], env: { ...process.env, LC_ALL: 'C' } });
  let stderr = '';
  tar.stderr.setEncoding('utf8').on('data', (d: string) => {
    stderr = (stderr + d).slice(-16384);
  });
  const exited = new Promise<number | null>((resolve, reject) => {
    tar.on('error', reject);
    tar.on('close', (code) => resolve(code));
  });
  let streamError: unknown;
  // On a stream error the pipeline destroys tar's stdin: tar then sees the end of its input and
  // judges for itself whether the archive was whole. It is never killed mid-way (it may be
  // restoring directory modes after the archive's end).
  await pipeline(input, tar.stdin).catch((err: unknown) => {
    streamError = err;
  });
  const code = await exited.catch((err: Error) => {
    throw new WriterError('WRITER_EXTRACT', `cannot run tar: ${err.message}`, { cause: err });
  });
  if (code === 0) {
    // tar stops at the archive's end marker: when that ends a full 10 KiB record, it exits before
    // the engine's stream has ended, and our side sees its stdin close early. tar's 0 is the truth
    // (a stream cut short never shows it an end marker); what is left of the stream is dropped.
    if (streamError) input.destroy();
    return;
  }
  const tail = stderr.trim().split('\n').slice(-8).join('\n');
  const stream = streamError ? `reading the rootfs stream failed (${(streamError as Error).message}); ` : '';
  throw new WriterError('WRITER_EXTRACT', `${stream}tar could not unpack the rootfs stream (exit ${code}):\n${tail}`, { cause: streamError });
}

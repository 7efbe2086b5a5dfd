// Tar archives of step inputs, for engines that take them through putArchive instead of binds.
import type { Readable } from 'node:stream';
import { pack } from 'tar-stream';
import { execOutput } from '../util/exec.js';

export interface ArchiveEntry {
  name: string;
  content: string | Buffer;
  mode: number;
}

/** A small archive built in memory: root-owned entries with a fixed time. */
export async function tarOf(entries: ArchiveEntry[]): Promise<Buffer> {
  const archive = pack();
  const chunks: Buffer[] = [];
  archive.on('data', (c: unknown) => {
    chunks.push(c as Buffer);
  });
  const done = new Promise<void>((resolve, reject) => archive.on('end', () => resolve()).on('error', reject));
  for (const e of entries) archive.entry({ name: e.name, mode: e.mode, uid: 0, gid: 0, mtime: new Date(0) }, e.content);
  archive.finalize();
  await done;
  return Buffer.concat(chunks);
}

/** A host directory's content as a tar stream (GNU tar: owners, modes, links as they are). */
export function hostDirTar(dir: string): Readable {
  return execOutput('tar', ['-C', dir, '-cf', '-', '.']);
}

import { lstat } from 'node:fs/promises';
import { join } from 'node:path';
import { WriterError } from './writer-error.js';

/** 1980-01-01: the oldest time FAT stores; the clamp of a tree that gives no other. */
export const FAT_EPOCH = 315532800;

export interface EpochChoice {
  epoch: number;
  from: 'option' | 'dpkg-status' | 'fat-minimum';
}

function parseEpoch(value: number | string, what: string): number {
  const n = typeof value === 'number' ? value : /^\s*\d+\s*$/.test(value) ? Number(value) : NaN;
  if (!Number.isSafeInteger(n)) throw new WriterError('WRITER_CONFIG', `${what} ${JSON.stringify(value)} is not a whole number of seconds`);
  if (n < FAT_EPOCH) throw new WriterError('WRITER_CONFIG', `${what} ${n} is before 1980, which FAT cannot store`);
  return n;
}

/**
 * The time every timestamp in the image is clamped to. It must be a property of the input image,
 * never of the export: the engine creates files when a container is made (/.dockerenv, /etc/hosts,
 * mount points), so the newest mtime of the exported tree changes from one write to the next.
 * In order: the writer option (the tree's pin, part of the writer's key), the mtime of dpkg's status
 * file (written by the image's last package step and committed with it), else 1980. The caller's
 * SOURCE_DATE_EPOCH is not read: it is not part of the writer's key, so a cached image would not
 * follow it; a tree passes it as `sourceDateEpoch: "{{ source_date_epoch }}"`.
 */
export async function chooseEpoch(rootDir: string, option: number | string | undefined): Promise<EpochChoice> {
  if (option !== undefined && option !== '') return { epoch: parseEpoch(option, 'sourceDateEpoch'), from: 'option' };
  const status = await lstat(join(rootDir, 'var/lib/dpkg/status')).catch(() => undefined);
  if (status?.isFile()) return { epoch: Math.max(FAT_EPOCH, Math.floor(status.mtimeMs / 1000)), from: 'dpkg-status' };
  return { epoch: FAT_EPOCH, from: 'fat-minimum' };
}

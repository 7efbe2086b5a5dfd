import { open, readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { runTool } from './run-tool.js';
import { formatSize } from './sizes.js';
import { WriterError } from './writer-error.js';
import type { PartitionPlan } from './disk-plan.js';

export interface FatSpec {
  image: string;
  part: PartitionPlan;
  fat: 16 | 32;
  label: string;
  volumeId: string;
  epoch: number;
  /** Host directory whose content becomes the partition's root. */
  content: string;
}

/** Directories in sorted order, each with its sorted entries: host readdir order never leaks in. */
async function walk(dir: string, rel = ''): Promise<Array<{ rel: string; files: string[]; dirs: string[] }>> {
  const entries = (await readdir(join(dir, rel), { withFileTypes: true })).sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  const dirs = entries.filter((e) => e.isDirectory()).map((e) => e.name);
  // FAT has no symlinks or device files; a link is copied as the file it points to
  const files = entries.filter((e) => !e.isDirectory()).map((e) => e.name);
  const out = [{ rel, files, dirs }];
  for (const d of dirs) out.push(...(await walk(dir, rel ? `${rel}/${d}` : d)));
  return out;
}

/**
 * mkfs.fat may pick a cluster size that leaves FAT32 under 65525 clusters (256 MiB gets 4 KiB
 * clusters: 65535 minus the FATs); mtools and some firmware then read it as FAT16. Pick the
 * largest cluster (<= 4 KiB) that keeps FAT32 comfortably above the minimum.
 */
function clusterArgs(spec: FatSpec): string[] {
  if (spec.fat !== 32) return [];
  const sectors = spec.part.size / 512;
  let s = 8;
  while (s > 1 && sectors / s < 67000) s /= 2;
  return ['-s', String(s)];
}

/**
 * mkfs.fat --invariant fixes the time-derived fields but also forces serial 1234-ABCD, so the
 * seed's serial is written afterwards into the boot sector and, on FAT32, its backup (sector 6).
 */
async function setVolumeId(spec: FatSpec): Promise<void> {
  const id = Buffer.alloc(4);
  id.writeUInt32LE(parseInt(spec.volumeId, 16));
  const fh = await open(spec.image, 'r+');
  try {
    const field = spec.fat === 32 ? 0x43 : 0x27;
    await fh.write(id, 0, 4, spec.part.start + field);
    if (spec.fat === 32) await fh.write(id, 0, 4, spec.part.start + 6 * 512 + field);
  } finally {
    await fh.close();
  }
}

/**
 * Formats the FAT filesystem in place inside the image (mkfs.fat --offset) and fills it with
 * mtools addressing the same offset: no partition file, no copy, no loop device.
 */
export async function buildFat(spec: FatSpec): Promise<void> {
  const sector = spec.part.start / 512;
  // mtools reads no user or host config and stamps what it creates with SOURCE_DATE_EPOCH
  const env = { MTOOLSRC: '/dev/null', MTOOLS_SKIP_CHECK: '1', SOURCE_DATE_EPOCH: String(spec.epoch), TZ: 'UTC' };
  await runTool(
    'mkfs.fat',
    [
      '-F',
      String(spec.fat),
      ...clusterArgs(spec),
      '-n',
      spec.label,
      '-i',
      spec.volumeId,
      '--invariant',
      '--mbr=n',
      `--offset=${sector}`,
      '-h',
      String(sector),
      spec.image,
      String(spec.part.size / 1024),
    ],
    { env },
  );
  await setVolumeId(spec);
  const drive = `${spec.image}@@${spec.part.start}`;
  try {
    for (const d of await walk(spec.content)) {
      if (d.rel) await runTool('mmd', ['-i', drive, `::/${d.rel}`], { env });
      if (!d.files.length) continue;
      // batched per directory: one mcopy per directory, not per file
      for (let i = 0; i < d.files.length; i += 200) {
        const batch = d.files.slice(i, i + 200).map((f) => join(spec.content, d.rel, f));
        await runTool('mcopy', ['-i', drive, '-p', '-m', '-Q', '-o', ...batch, `::/${d.rel}${d.rel ? '/' : ''}`], { env });
      }
    }
  } catch (err) {
    if (err instanceof WriterError && /disk full|no free clusters|no space/i.test(String(err.details.stderr ?? err.message))) {
      throw new WriterError('WRITER_PARTITION_TOO_SMALL', `boot partition (FAT) is full: its content does not fit in ${formatSize(spec.part.size)}`, {
        cause: err,
        details: { partition: 'boot', given: spec.part.size },
      });
    }
    throw err;
  }
}

import { alignUp, formatSize, MiB } from './sizes.js';
import type { TreeUsage } from './scan-tree.js';
import type { ResolvedLayout } from './writer-options.js';
import type { SeedIds } from './seed-ids.js';
import { WriterError } from './writer-error.js';

export interface PartitionPlan {
  /** Byte offset and size in the image (multiples of the alignment). */
  start: number;
  size: number;
}

export interface DiskPlan {
  totalSize: number;
  boot: PartitionPlan;
  root: PartitionPlan;
  rootInodes: number;
}

const GPT_FAT = 'EBD0A0A2-B9E5-4433-87C0-68B6B72699C7'; // Microsoft basic data: what the Pi ROM looks for
const GPT_LINUX = '0FC63DAF-8483-4772-8E79-3D69D8477DE4';

/** mke2fs's default journal size for a filesystem of this many bytes (ext2fs_default_journal_size). */
function journalBytes(fsBytes: number): number {
  const blocks = fsBytes / 4096;
  if (blocks < 32768) return 4 * MiB;
  if (blocks < 256 * 1024) return 16 * MiB;
  if (blocks < 512 * 1024) return 32 * MiB;
  if (blocks < 4096 * 1024) return 64 * MiB;
  if (blocks < 8192 * 1024) return 128 * MiB;
  return 256 * MiB;
}

/** Bytes ext4 needs for this content: data blocks plus inode tables, bitmaps and journal. */
export function ext4Needed(usage: TreeUsage): { bytes: number; inodes: number } {
  const inodes = alignUp(Math.ceil(usage.entries * 1.25) + 1024, 1024);
  const base = Math.ceil(usage.blockBytes * 1.02) + inodes * 256 + 4 * MiB;
  return { bytes: base + journalBytes(base), inodes };
}

/** Bytes FAT needs: content in clusters plus two FATs sized for the worst case of 512 B clusters. */
export function fatNeeded(usage: TreeUsage, partSize: number): number {
  return usage.blockBytes + Math.ceil(partSize / 64) + 64 * 1024;
}

export function planDisk(layout: ResolvedLayout, boot: TreeUsage, root: TreeUsage): DiskPlan {
  const a = layout.alignment;
  const bootSize = alignUp(layout.boot.size, a);
  const bootNeed = fatNeeded(boot, bootSize);
  if (bootNeed > bootSize) {
    throw new WriterError(
      'WRITER_PARTITION_TOO_SMALL',
      `boot partition (FAT, ${layout.boot.mountPoint}) needs ${formatSize(bootNeed)} but layout.boot.size gives ${formatSize(bootSize)}`,
      { details: { partition: 'boot', needed: bootNeed, given: bootSize } },
    );
  }
  if (layout.boot.fat === 32 && bootSize < 33 * MiB) {
    throw new WriterError('WRITER_CONFIG', `layout.boot.size ${formatSize(bootSize)} is too small for FAT32 (at least 33 MiB; or set layout.boot.fat: 16)`);
  }
  const need = ext4Needed(root);
  let rootSize: number;
  if (layout.root.size !== undefined) {
    rootSize = alignUp(layout.root.size, a);
    if (need.bytes > rootSize) {
      throw new WriterError(
        'WRITER_PARTITION_TOO_SMALL',
        `root partition (ext4) needs ${formatSize(need.bytes)} but layout.root.size gives ${formatSize(rootSize)}`,
        { details: { partition: 'root', needed: need.bytes, given: rootSize } },
      );
    }
  } else {
    const hr = layout.root.headroom;
    rootSize = alignUp(need.bytes + ('bytes' in hr ? hr.bytes : Math.ceil((need.bytes * hr.percent) / 100)), a);
  }
  const bootStart = a;
  const rootStart = bootStart + bootSize;
  // GPT keeps a backup header at the end of the disk: leave it one MiB past the last partition
  const totalSize = rootStart + rootSize + (layout.table === 'gpt' ? MiB : 0);
  const inodes = Math.max(need.inodes, Math.floor(rootSize / 16384));
  return { totalSize, boot: { start: bootStart, size: bootSize }, root: { start: rootStart, size: rootSize }, rootInodes: inodes };
}

export function sfdiskScript(layout: ResolvedLayout, plan: DiskPlan, ids: SeedIds): string {
  const s = (n: number) => n / 512;
  const part = (p: PartitionPlan) => `start=${s(p.start)}, size=${s(p.size)}`;
  if (layout.table === 'mbr') {
    return [
      'label: dos',
      `label-id: 0x${ids.mbrDiskId}`,
      'unit: sectors',
      '',
      `${part(plan.boot)}, type=${layout.boot.fat === 32 ? 'c' : 'e'}, bootable`,
      `${part(plan.root)}, type=83`,
      '',
    ].join('\n');
  }
  return [
    'label: gpt',
    `label-id: ${ids.gptDiskGuid}`,
    'unit: sectors',
    '',
    `${part(plan.boot)}, type=${GPT_FAT}, uuid=${ids.bootPartUuid}, name="${layout.boot.label}"`,
    `${part(plan.root)}, type=${GPT_LINUX}, uuid=${ids.rootPartUuid}, name="${layout.root.label}"`,
    '',
  ].join('\n');
}

import { isAbsolute } from 'node:path';
import { MiB, parseSize } from './sizes.js';
import { WriterError } from './writer-error.js';

/** Bytes, or a string such as "256MiB", "2G". */
export type Size = number | string;

/** The `layout` block of a writer node in the tree. Every key is optional; defaults in comments. */
export interface WriterLayoutConfig {
  /** Partition table: "mbr" (DOS, the Raspberry Pi default) or "gpt". Default "mbr". */
  table?: 'mbr' | 'gpt';
  /** Start and size alignment of partitions. Default "4MiB". */
  alignment?: Size;
  boot?: {
    /** FAT partition size (fixed). Default "256MiB". */
    size?: Size;
    /** FAT volume label, at most 11 characters. Default "RASPIFIRM". */
    label?: string;
    /** FAT type. Default 32. */
    fat?: 16 | 32;
    /** Where the rootfs keeps the boot partition's files. Default "/boot/firmware". */
    mountPoint?: string;
  };
  root?: {
    /** Fixed ext4 size; when absent the size is content + headroom. */
    size?: Size;
    /** Free space added to the content when size is not fixed: a Size or "N%". Default "256MiB". */
    headroom?: Size;
    /** ext4 label, at most 16 characters. Default "RASPIROOT". */
    label?: string;
  };
  /** How cmdline.txt and /etc/fstab name the partitions. Default "partuuid". */
  reference?: 'partuuid' | 'label' | 'uuid';
}

/** The writer node's block in the tree (besides kind/from/needs, which the engine owns). */
export interface WriterConfig {
  /** Image path (relative paths are resolved by the caller against the tree). */
  output: string;
  layout?: WriterLayoutConfig;
  /** Written to /etc/hostname and /etc/hosts in the image. Default "raspi". */
  hostname?: string;
  /** Extra compressed copy of the image beside it. Default "none". */
  compression?: 'none' | 'zstd' | 'xz';
  /** Content for /etc/resolv.conf; when absent a Docker-generated one is emptied. */
  resolvConf?: string;
  /**
   * Clamp for every timestamp in the image (seconds; a string so a tree var can carry it).
   * Default: the mtime of the image's dpkg status, else 1980 (default-epoch.ts).
   */
  sourceDateEpoch?: number | string;
}

export interface WriterOptions extends WriterConfig {
  /** The node's cache key: disk id, partition and filesystem UUIDs, volume id, hash seed. */
  seed: string;
  /** Scratch space for the unpacked rootfs. Default: the output's directory. */
  workDir?: string;
  /** Container paths the build bind-mounted; their empty stand-ins are removed from the image. */
  mountTargets?: string[];
}

export interface ResolvedLayout {
  table: 'mbr' | 'gpt';
  alignment: number;
  boot: { size: number; label: string; fat: 16 | 32; mountPoint: string };
  root: { size?: number; headroom: { bytes: number } | { percent: number }; label: string };
  reference: 'partuuid' | 'label' | 'uuid';
}

export function resolveLayout(cfg: WriterLayoutConfig = {}): ResolvedLayout {
  const table = cfg.table ?? 'mbr';
  if (table !== 'mbr' && table !== 'gpt') throw new WriterError('WRITER_CONFIG', `layout.table must be "mbr" or "gpt", not ${JSON.stringify(table)}`);
  const alignment = parseSize(cfg.alignment ?? '4MiB', 'layout.alignment');
  if (alignment < MiB || alignment % MiB !== 0) throw new WriterError('WRITER_CONFIG', 'layout.alignment must be a whole number of MiB (>= 1MiB)');
  const bootLabel = cfg.boot?.label ?? 'RASPIFIRM';
  const rootLabel = cfg.root?.label ?? 'RASPIROOT';
  if (!/^[A-Za-z0-9_-]{1,11}$/.test(bootLabel))
    throw new WriterError('WRITER_CONFIG', `layout.boot.label ${JSON.stringify(bootLabel)}: 1-11 characters of A-Z a-z 0-9 _ -`);
  if (!/^[A-Za-z0-9_-]{1,16}$/.test(rootLabel))
    throw new WriterError('WRITER_CONFIG', `layout.root.label ${JSON.stringify(rootLabel)}: 1-16 characters of A-Z a-z 0-9 _ -`);
  const fat = cfg.boot?.fat ?? 32;
  if (fat !== 16 && fat !== 32) throw new WriterError('WRITER_CONFIG', 'layout.boot.fat must be 16 or 32');
  const mountPoint = cfg.boot?.mountPoint ?? '/boot/firmware';
  if (!isAbsolute(mountPoint) || mountPoint === '/' || mountPoint.includes('..'))
    throw new WriterError('WRITER_CONFIG', `layout.boot.mountPoint ${JSON.stringify(mountPoint)} must be an absolute path below /`);
  const hr = cfg.root?.headroom ?? '256MiB';
  const pct = typeof hr === 'string' ? /^\s*(\d+(?:\.\d+)?)\s*%\s*$/.exec(hr) : null;
  const reference = cfg.reference ?? 'partuuid';
  if (!['partuuid', 'label', 'uuid'].includes(reference)) throw new WriterError('WRITER_CONFIG', `layout.reference must be partuuid, label or uuid`);
  return {
    table,
    alignment,
    boot: { size: parseSize(cfg.boot?.size ?? '256MiB', 'layout.boot.size'), label: bootLabel, fat, mountPoint },
    root: {
      size: cfg.root?.size === undefined ? undefined : parseSize(cfg.root.size, 'layout.root.size'),
      headroom: pct ? { percent: Number(pct[1]) } : { bytes: parseSize(hr, 'layout.root.headroom') },
      label: rootLabel,
    },
    reference,
  };
}

export function validateHostname(name: string): string {
  // RFC 1123 label: what systemd-hostnamed and /etc/hosts accept without surprises.
  if (!/^(?=.{1,63}$)[A-Za-z0-9]([A-Za-z0-9-]*[A-Za-z0-9])?$/.test(name)) {
    throw new WriterError('WRITER_CONFIG', `hostname ${JSON.stringify(name)} is not a valid host name (letters, digits, inner hyphens, <= 63)`);
  }
  return name;
}

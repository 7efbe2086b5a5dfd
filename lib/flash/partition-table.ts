// Where an image's (or a card's) FAT boot partition starts, read from its MBR or GPT without
// mounting anything, so mtools can address it as FILE@@OFFSET. 512-byte sectors: what the writer
// writes and what SD cards and USB readers present.
import { open } from 'node:fs/promises';
import { WriterError } from '../writer/writer-error.js';

const SECTOR = 512;
/** MBR types of FAT: 12, 16 (<32M, >=32M, LBA), 32 (CHS, LBA). The writer uses 0x0c and 0x0e. */
const MBR_FAT = new Set([0x01, 0x04, 0x06, 0x0b, 0x0c, 0x0e]);
const GPT_FAT = new Set([
  'EBD0A0A2-B9E5-4433-87C0-68B6B72699C7', // Microsoft basic data: what the Pi ROM looks for
  'C12A7328-F81F-11D2-BA4B-00A0C93EC93B', // EFI system partition
]);

export interface Partition {
  /** 1-based, as the kernel and sfdisk number them. */
  index: number;
  /** Byte offset and size on the disk. */
  start: number;
  size: number;
  /** `0x0c` on MBR, the type GUID on GPT. */
  type: string;
}

export interface PartitionTable {
  table: 'mbr' | 'gpt';
  partitions: Partition[];
}

/** A GUID as it is written: the first three fields little-endian. */
function guid(b: Buffer): string {
  const hex = (x: Buffer) => x.toString('hex');
  const le = (x: Buffer) => hex(Buffer.from(x).reverse());
  return `${le(b.subarray(0, 4))}-${le(b.subarray(4, 6))}-${le(b.subarray(6, 8))}-${hex(b.subarray(8, 10))}-${hex(b.subarray(10, 16))}`.toUpperCase();
}

async function readAt(path: string, offset: number, length: number): Promise<Buffer> {
  const fh = await open(path, 'r');
  try {
    const buf = Buffer.alloc(length);
    const { bytesRead } = await fh.read(buf, 0, length, offset);
    return buf.subarray(0, bytesRead);
  } finally {
    await fh.close();
  }
}

function noTable(path: string, why: string): never {
  throw new WriterError('FLASH_REFUSED', `${path} has no usable partition table: ${why}`, { details: { reason: 'no-partition-table', path } });
}

export async function readPartitionTable(path: string): Promise<PartitionTable> {
  const mbr = await readAt(path, 0, SECTOR);
  if (mbr.length < SECTOR || mbr.readUInt16LE(510) !== 0xaa55) noTable(path, 'no MBR signature (55 AA) in its first sector');
  const entries = [0, 1, 2, 3].map((i) => mbr.subarray(446 + 16 * i, 446 + 16 * (i + 1)));
  if (!entries.some((e) => e[4] === 0xee)) {
    const partitions = entries
      .map((e, i) => ({ index: i + 1, type: e[4]!, start: e.readUInt32LE(8) * SECTOR, size: e.readUInt32LE(12) * SECTOR }))
      .filter((p) => p.type !== 0 && p.size > 0)
      .map((p) => ({ ...p, type: `0x${p.type.toString(16).padStart(2, '0')}` }));
    return { table: 'mbr', partitions };
  }
  const header = await readAt(path, SECTOR, SECTOR);
  if (header.subarray(0, 8).toString('latin1') !== 'EFI PART') noTable(path, 'a protective MBR but no GPT header in sector 1');
  const entriesAt = Number(header.readBigUInt64LE(72)) * SECTOR;
  const count = header.readUInt32LE(80);
  const entrySize = header.readUInt32LE(84);
  if (count > 1024 || entrySize < 128 || entrySize > 4096) noTable(path, `a GPT header with ${count} entries of ${entrySize} bytes`);
  const table = await readAt(path, entriesAt, count * entrySize);
  const partitions: Partition[] = [];
  for (let i = 0; i < count && (i + 1) * entrySize <= table.length; i++) {
    const e = table.subarray(i * entrySize, (i + 1) * entrySize);
    if (e.subarray(0, 16).every((b) => b === 0)) continue;
    const first = Number(e.readBigUInt64LE(32));
    const last = Number(e.readBigUInt64LE(40));
    partitions.push({ index: i + 1, type: guid(e.subarray(0, 16)), start: first * SECTOR, size: (last - first + 1) * SECTOR });
  }
  return { table: 'gpt', partitions };
}

/** A FAT boot sector: the 55 AA signature and "FAT" where FAT12/16 or FAT32 name their kind. */
function looksFat(boot: Buffer): boolean {
  if (boot.length < SECTOR || boot.readUInt16LE(510) !== 0xaa55) return false;
  return boot.subarray(0x36, 0x39).toString('latin1') === 'FAT' || boot.subarray(0x52, 0x57).toString('latin1') === 'FAT32';
}

/**
 * The first FAT partition (the one the Pi firmware boots from): MBR type 0x0b/0x0c (or a FAT16
 * type), GPT basic data or EFI system, with a FAT boot sector at its start.
 */
export async function findFatPartition(path: string): Promise<Partition & { table: 'mbr' | 'gpt' }> {
  const t = await readPartitionTable(path);
  for (const p of t.partitions) {
    const typed = t.table === 'mbr' ? MBR_FAT.has(Number(p.type)) : GPT_FAT.has(p.type);
    if (typed && looksFat(await readAt(path, p.start, SECTOR))) return { ...p, table: t.table };
  }
  const list = t.partitions.map((p) => `${p.index}: ${p.type}`).join(', ') || 'none';
  throw new WriterError('FLASH_REFUSED', `${path} has no FAT partition to write to (${t.table.toUpperCase()} partitions: ${list})`, {
    details: { reason: 'no-fat', path },
  });
}

import { readFile, readdir, realpath, stat } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';

export interface DeviceInfo {
  path: string;
  /** Kernel name, e.g. "sdb", "mmcblk0", "loop3". */
  name: string;
  majorMinor: string;
  isPartition: boolean;
  size: number;
  model: string;
  removable: boolean;
  readOnly: boolean;
  /** Kernel names of this disk's partitions. */
  partitions: string[];
  /** Devices built on top of this one (device-mapper, md): non-empty means in use. */
  holders: string[];
}

const sysRead = (p: string) =>
  readFile(p, 'utf8').then(
    (s) => s.trim(),
    () => '',
  );

export function splitDev(dev: number): string {
  // glibc's major()/minor() encoding of dev_t
  const major = Number((BigInt(dev) >> 8n) & 0xfffn) | Number((BigInt(dev) >> 32n) & ~0xfffn);
  const minor = Number(BigInt(dev) & 0xffn) | Number((BigInt(dev) >> 12n) & ~0xffn);
  return `${major}:${minor}`;
}

/** Reads what the kernel says about a block device from sysfs; nothing is opened. */
export async function describeBlockDevice(path: string): Promise<DeviceInfo> {
  const st = await stat(path);
  const majorMinor = splitDev(st.rdev);
  const sys = await realpath(`/sys/dev/block/${majorMinor}`);
  const name = basename(sys);
  const isPartition = (await sysRead(join(sys, 'partition'))) !== '';
  const disk = isPartition ? dirname(sys) : sys;
  const entries = await readdir(sys).catch(() => [] as string[]);
  const partitions: string[] = [];
  for (const e of entries) if (e.startsWith(name) && (await sysRead(join(sys, e, 'partition')))) partitions.push(e);
  const holders = [...(await readdir(join(sys, 'holders')).catch(() => [] as string[]))];
  for (const p of partitions) holders.push(...(await readdir(join(sys, p, 'holders')).catch(() => [] as string[])));
  const vendor = await sysRead(join(disk, 'device/vendor'));
  const model = await sysRead(join(disk, 'device/model'));
  const backing = await sysRead(join(disk, 'loop/backing_file'));
  return {
    path,
    name,
    majorMinor,
    isPartition,
    size: Number(await sysRead(join(sys, 'size'))) * 512,
    model: [vendor, model].filter(Boolean).join(' ') || (backing ? `loop device backed by ${backing}` : 'unknown model'),
    removable: (await sysRead(join(disk, 'removable'))) === '1',
    readOnly: (await sysRead(join(sys, 'ro'))) === '1',
    partitions,
    holders,
  };
}

/** Whole disks under a block device number, following partitions up and dm/md slaves down. */
export async function diskNamesOf(majorMinor: string): Promise<string[]> {
  const sys = await realpath(`/sys/dev/block/${majorMinor}`).catch(() => undefined);
  if (!sys) return [];
  const disk = (await sysRead(join(sys, 'partition'))) ? dirname(sys) : sys;
  const slaves = await readdir(join(disk, 'slaves')).catch(() => [] as string[]);
  if (!slaves.length) return [basename(disk)];
  const out: string[] = [];
  for (const s of slaves) out.push(...(await diskNamesOf(await sysRead(join(disk, 'slaves', s, 'dev')))));
  return out;
}

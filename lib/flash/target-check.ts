import { lstat, readFile, stat } from 'node:fs/promises';
import { describeBlockDevice, diskNamesOf, splitDev, type DeviceInfo } from './block-device.js';
import { WriterError } from '../writer/writer-error.js';
import { formatSize } from '../writer/sizes.js';

export type RefusalReason = 'not-block-device' | 'partition' | 'system-disk' | 'mounted' | 'swap' | 'in-use' | 'read-only' | 'too-small';

export type FlashTarget = { kind: 'block'; device: DeviceInfo } | { kind: 'file'; path: string };

function refuse(reason: RefusalReason, message: string, path: string): never {
  throw new WriterError('FLASH_REFUSED', `refusing to write ${path}: ${message}`, { details: { reason, path } });
}

/** Mount table entries as [major:minor, source]. */
async function mounts(): Promise<Array<{ dev: string; source: string; mountPoint: string }>> {
  const text = await readFile('/proc/self/mountinfo', 'utf8');
  return text
    .split('\n')
    .filter(Boolean)
    .map((l) => {
      const [pre, post = ''] = l.split(' - ');
      const f = pre!.split(' ');
      return { dev: f[2]!, mountPoint: f[4]!, source: post.split(' ')[1] ?? '' };
    });
}

/** The disks holding / : the running system. */
async function systemDisks(): Promise<Set<string>> {
  const rootDev = splitDev((await stat('/')).dev);
  const names = new Set(await diskNamesOf(rootDev));
  // overlay or btrfs roots have an anonymous st_dev: fall back to the mount's source device
  const rootMount = (await mounts()).filter((m) => m.mountPoint === '/').at(-1);
  if (rootMount?.source.startsWith('/dev/')) {
    const st = await stat(rootMount.source).catch(() => undefined);
    if (st?.isBlockDevice()) for (const n of await diskNamesOf(splitDev(st.rdev))) names.add(n);
  }
  return names;
}

/**
 * Every reason not to overwrite the path, checked before anything is opened for writing. Order
 * matters only for the message: the most specific reason is named.
 */
export async function checkTarget(path: string, imageSize: number, opts: { allowFile?: boolean } = {}): Promise<FlashTarget> {
  const st = await lstat(path).catch(() => undefined);
  const real = st?.isSymbolicLink() ? await stat(path).catch(() => undefined) : st;
  if (!real?.isBlockDevice()) {
    if (!opts.allowFile)
      refuse('not-block-device', `${st ? 'it is not a block device' : 'it does not exist'} (pass --allow-file to write an image file)`, path);
    if (real && !real.isFile()) refuse('not-block-device', 'it is neither a block device nor a regular file', path);
    return { kind: 'file', path };
  }
  const dev = await describeBlockDevice(path);
  if (dev.isPartition) refuse('partition', `${dev.name} is a partition; give the whole disk`, path);
  if ((await systemDisks()).has(dev.name)) refuse('system-disk', `${dev.name} holds / (the running system)`, path);
  const own = new Set([dev.name, ...dev.partitions]);
  const majors = new Set<string>([dev.majorMinor]);
  for (const p of dev.partitions)
    majors.add(
      await readFile(`/sys/class/block/${p}/dev`, 'utf8').then(
        (s) => s.trim(),
        () => '',
      ),
    );
  const mounted = (await mounts()).filter((m) => majors.has(m.dev) || own.has(m.source.replace(/^\/dev\//, '')));
  if (mounted.length) refuse('mounted', `it is mounted (${mounted.map((m) => `${m.source || m.dev} on ${m.mountPoint}`).join(', ')})`, path);
  const swaps = (await readFile('/proc/swaps', 'utf8').catch(() => ''))
    .split('\n')
    .slice(1)
    .map((l) => l.split(/\s+/)[0]!.replace(/^\/dev\//, ''));
  const swap = swaps.filter((s) => own.has(s));
  if (swap.length) refuse('swap', `it is in use as swap (${swap.join(', ')})`, path);
  if (dev.holders.length) refuse('in-use', `it is in use by ${dev.holders.join(', ')} (device-mapper, RAID or LVM)`, path);
  if (dev.readOnly) refuse('read-only', 'the kernel reports it read-only (write-protect switch?)', path);
  if (dev.size < imageSize) refuse('too-small', `${dev.name} has ${formatSize(dev.size)}, the image needs ${formatSize(imageSize)}`, path);
  return { kind: 'block', device: dev };
}

// Paths a container engine owns in every container: Docker's init layer replaces /etc/hostname,
// /etc/hosts, /etc/resolv.conf and /dev/console with empty files, /etc/mtab with a symlink to
// /proc/mounts, and adds /.dockerenv and the /dev/pts, /dev/shm, /proc and /sys mount points;
// `docker export` returns those, while the image's own layers hold what the steps left (the base's
// copy of the build host's resolv.conf and hostname, among them). The writer settles each of these
// paths the same way whichever it reads, so the image is the same bytes from an export and from
// the layers, and carries nothing of the engine or of the build host.
import { chmod, chown, lstat, lutimes, mkdir, rm, symlink } from 'node:fs/promises';
import { join } from 'node:path';
import { assertInside } from './fixup-rootfs.js';

const MOUNT_POINTS = ['dev/pts', 'dev/shm', 'proc', 'sys'];
/** Every path settled here, with the directories whose entries change: all dated the epoch. */
const SETTLED = ['', 'etc', 'dev', ...MOUNT_POINTS, 'etc/hostname', 'etc/hosts', 'etc/resolv.conf', 'etc/mtab'];

/** Before the identity is written: the engine's stand-ins out, the mount points every root needs in. */
export async function settleStandIns(root: string): Promise<void> {
  // never through a symlink: /etc -> /x would lead these writes onto the build host
  for (const dir of ['etc', 'dev', ...MOUNT_POINTS]) await assertInside(root, dir);
  await rm(join(root, '.dockerenv'), { force: true });
  await mkdir(join(root, 'etc'), { recursive: true });
  // systemd's own: /etc/mtab is the kernel's mount table for this process
  const mtab = join(root, 'etc/mtab');
  if (!(await lstat(mtab).catch(() => undefined))?.isDirectory()) {
    await rm(mtab, { force: true });
    await symlink('../proc/self/mounts', mtab);
  }
  // Docker's empty file where the console device was. The device's /dev is devtmpfs (mounted by
  // the initramfs, else by the kernel before init), which has the real one; a node made here could
  // not be made by a rootless writer anyway.
  await rm(join(root, 'dev/console'), { force: true, recursive: true });
  for (const dir of MOUNT_POINTS) {
    const path = join(root, dir);
    if (await lstat(path).catch(() => undefined)) continue;
    await mkdir(path, { recursive: true, mode: 0o755 });
  }
  await chown(root, 0, 0);
  await chmod(root, 0o755);
}

/** After every fix-up: the settled paths dated the epoch (an export dates them at export time). */
export async function dateStandIns(root: string, epoch: number): Promise<void> {
  for (const rel of SETTLED) await lutimes(join(root, rel), epoch, epoch).catch(() => undefined);
}

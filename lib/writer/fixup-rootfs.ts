import { chown, lstat, mkdir, readFile, readdir, rename, rm, utimes, writeFile, chmod } from 'node:fs/promises';
import { join } from 'node:path';
import { runTool } from './run-tool.js';
import { WriterError } from './writer-error.js';
import { rewriteCmdline, rewriteFstab, type PartitionRefs } from './partition-refs.js';

const REQUIRED_BOOT_FILES = ['config.txt', 'cmdline.txt'];

/**
 * Refuses a path inside the tree whose directories include a symlink: an absolute link such as
 * /boot -> /mnt/x would lead the writer out of the tree and onto the build host.
 */
export async function assertInside(root: string, rel: string): Promise<void> {
  let cur = root;
  for (const part of rel.split('/').filter(Boolean)) {
    cur = join(cur, part);
    const st = await lstat(cur).catch(() => undefined);
    if (!st) return;
    if (st.isSymbolicLink()) {
      throw new WriterError(
        'WRITER_CONFIG',
        `/${rel.replace(/^\/+/, '')} in the rootfs passes through the symlink ${cur.slice(root.length)}; the writer will not follow it`,
      );
    }
  }
}

async function exists(p: string): Promise<boolean> {
  return lstat(p).then(
    () => true,
    () => false,
  );
}

/**
 * Replaces a file the writer owns inside the unpacked rootfs (identity, cmdline.txt, fstab), mode
 * 0644 as Debian ships them: Docker makes its bind-mount targets (hostname, hosts, resolv.conf)
 * 0755, not a mode to keep. A symlink there is removed, never followed: its target is resolved
 * against the host, not the image, and could point anywhere on the builder.
 */
async function putFile(path: string, content: string): Promise<void> {
  const st = await lstat(path).catch(() => undefined);
  const mode = 0o644;
  if (st && !st.isFile()) await rm(path, { recursive: true, force: true });
  await writeFile(path, content, { mode });
  await chmod(path, mode);
  if (!st?.isFile()) await chown(path, 0, 0);
}

export function hostsFile(hostname: string): string {
  return [
    '127.0.0.1\tlocalhost',
    `127.0.1.1\t${hostname}`,
    '',
    '::1\t\tlocalhost ip6-localhost ip6-loopback',
    'ff02::1\t\tip6-allnodes',
    'ff02::2\t\tip6-allrouters',
    '',
  ].join('\n');
}

/** Writes the configured identity over what the engine or the build host left (engine-stand-ins.ts). */
export async function fixIdentity(root: string, hostname: string, resolvConf: string | undefined): Promise<void> {
  await assertInside(root, 'etc');
  await mkdir(join(root, 'etc'), { recursive: true });
  await putFile(join(root, 'etc/hostname'), `${hostname}\n`);
  await putFile(join(root, 'etc/hosts'), hostsFile(hostname));
  const resolv = join(root, 'etc/resolv.conf');
  if (resolvConf !== undefined) {
    await putFile(resolv, resolvConf.endsWith('\n') || resolvConf === '' ? resolvConf : `${resolvConf}\n`);
  } else {
    // A symlink (systemd-resolved, resolvconf) is the image's own choice. A file is the engine's
    // (Docker's, in an export) or the build host's (mmdebstrap copies it into the base): emptied.
    if (!(await lstat(resolv).catch(() => undefined))?.isSymbolicLink()) await putFile(resolv, '');
  }
}

/**
 * Moves the boot partition's content out of the tree given to mkfs.ext4 (it would be hidden under
 * the mount point anyway) and leaves an empty mount point with the same owner and mode.
 */
export async function takeBootContent(root: string, mountPoint: string, bootDir: string): Promise<void> {
  await assertInside(root, mountPoint);
  const src = join(root, mountPoint);
  const st = await lstat(src).catch(() => undefined);
  if (!st?.isDirectory()) {
    throw new WriterError(
      'WRITER_MISSING_BOOT',
      `the rootfs has no ${mountPoint} directory: the boot partition is made from it (start*.elf, fixup*.dat, DTBs, kernel, ${REQUIRED_BOOT_FILES.join(', ')}); install raspi-firmware in an earlier step or set layout.boot.mountPoint`,
      { details: { missing: mountPoint } },
    );
  }
  const names = new Set(await readdir(src));
  const missing = REQUIRED_BOOT_FILES.filter((f) => !names.has(f));
  if (missing.length) {
    throw new WriterError('WRITER_MISSING_BOOT', `${mountPoint} in the rootfs lacks ${missing.join(' and ')}, which the boot partition needs`, {
      details: { missing: missing.map((f) => `${mountPoint}/${f}`) },
    });
  }
  // a rootfs mounted from layers is another filesystem than the scratch space: copied, then removed
  await rename(src, bootDir).catch(async (err: NodeJS.ErrnoException) => {
    if (err.code !== 'EXDEV') throw err;
    await runTool('cp', ['-a', '--', src, bootDir]);
    await runTool('rm', ['-rf', '--', src]);
  });
  await mkdir(src);
  await chown(src, st.uid, st.gid);
  await chmod(src, st.mode & 0o7777);
  await utimes(src, st.atime, st.mtime);
}

export async function fixReferences(root: string, bootDir: string, refs: PartitionRefs, mountPoint: string): Promise<void> {
  const cmdline = join(bootDir, 'cmdline.txt');
  await putFile(cmdline, rewriteCmdline(await readFile(cmdline, 'utf8'), refs.root));
  const fstab = join(root, 'etc/fstab');
  const old = (await exists(fstab)) && (await lstat(fstab)).isFile() ? await readFile(fstab, 'utf8') : '';
  await putFile(fstab, rewriteFstab(old, refs, mountPoint));
}

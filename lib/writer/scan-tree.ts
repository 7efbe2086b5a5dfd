import { spawn } from 'node:child_process';
import { lutimes } from 'node:fs/promises';
import { WriterError } from './writer-error.js';

export interface TreeUsage {
  /** Bytes the files take in 4 KiB blocks (hardlinks counted once). */
  blockBytes: number;
  entries: number;
  directories: number;
}

export interface TreeScan {
  root: TreeUsage;
  boot: TreeUsage;
}

const BLOCK = 4096;
const blocks = (n: number) => Math.ceil(n / BLOCK) * BLOCK;

/** ext4's directory entry for a name (one char per byte, as findEach reads them): 8 bytes and the name, padded to 4. */
const direntBytes = (name: string) => 8 + Math.ceil(name.length / 4) * 4;

/**
 * One pass of GNU find over the unpacked tree: C-speed stat of tens of thousands of entries with
 * little memory here (records are parsed as they stream; only hardlinked inodes and directories
 * are remembered). A directory's size is reckoned from its entries' names, never its st_size,
 * which belongs to the host's filesystem (ext4, xfs and btrfs all answer differently, and an
 * overlay answers for one layer): the image's size must not depend on where it was written.
 */
export async function scanTree(dir: string, bootPrefix: string): Promise<TreeScan> {
  const empty = (): TreeUsage => ({ blockBytes: 0, entries: 0, directories: 0 });
  const scan: TreeScan = { root: empty(), boot: empty() };
  const seenLinks = new Set<string>();
  // directory -> its usage and the bytes of its entries (with "." and "..")
  const dirs = new Map<string, { u: TreeUsage; bytes: number }>();
  const prefix = Buffer.from(bootPrefix.replace(/^\/+|\/+$/g, '')).toString('latin1');
  await findEach([dir, '-mindepth', '1', '-printf', '%y %s %D:%i %n %P\\0'], (rec) => {
    const m = /^(\S) (\d+) (\d+:\d+) (\d+) (.*)$/s.exec(rec);
    if (!m) return;
    const [, type, size, inode, links, path] = m as unknown as [string, string, string, string, string, string];
    const inBoot = path === prefix || path.startsWith(`${prefix}/`);
    const u = inBoot && path !== prefix ? scan.boot : scan.root;
    u.entries++;
    const slash = path.lastIndexOf('/');
    const parent = dirs.get(path.slice(0, Math.max(slash, 0)));
    if (parent) parent.bytes += direntBytes(path.slice(slash + 1));
    if (type === 'd') {
      u.directories++;
      dirs.set(path, { u, bytes: direntBytes('.') + direntBytes('..') });
    } else if (type === 'f') {
      if (Number(links) > 1) {
        if (seenLinks.has(inode)) return;
        seenLinks.add(inode);
      }
      u.blockBytes += blocks(Number(size));
    } else if (type === 'l' && Number(size) >= 60) u.blockBytes += BLOCK; // short targets live in the inode
  });
  for (const { u, bytes } of dirs.values()) u.blockBytes += blocks(bytes);
  return scan;
}

/**
 * Clamps every mtime newer than epoch to epoch, as SOURCE_DATE_EPOCH asks, and drops the fraction
 * of a second from the others: an export carries whole seconds (tar), a layer directory all nine
 * digits, and the image must not tell which it was written from.
 */
export async function clampMtimes(dirs: string[], epoch: number): Promise<void> {
  const changes: Array<[Buffer, number]> = [];
  await findEach([...dirs, '-printf', '%T@ %p\\0'], (rec) => {
    const m = /^(\d+)(?:\.(\d+))? (.*)$/s.exec(rec);
    if (!m) return;
    const secs = Number(m[1]);
    const fraction = /[1-9]/.test(m[2] ?? '');
    if (secs > epoch || (secs === epoch && fraction)) changes.push([Buffer.from(m[3]!, 'latin1'), epoch]);
    else if (fraction) changes.push([Buffer.from(m[3]!, 'latin1'), secs]);
  });
  for (const [path, t] of changes) await lutimes(path, t, t);
}

/**
 * GNU find's NUL-terminated records, each handed over as it streams (constant memory here), one
 * char per byte (latin1): a name that is not UTF-8 keeps its bytes.
 */
function findEach(args: string[], take: (rec: string) => void): Promise<void> {
  return new Promise((resolve, reject) => {
    const find = spawn('find', args, { stdio: ['ignore', 'pipe', 'pipe'] });
    let rest = '';
    let stderr = '';
    find.stdout.setEncoding('latin1').on('data', (d: string) => {
      const recs = (rest + d).split('\0');
      rest = recs.pop()!;
      recs.forEach(take);
    });
    find.stderr.setEncoding('utf8').on('data', (d: string) => {
      stderr = (stderr + d).slice(-8192);
    });
    find.on('error', reject);
    find.on('close', (code) =>
      code === 0 ? resolve() : reject(new WriterError('WRITER_TOOL', `find over the rootfs failed (exit ${code}): ${stderr.trim()}`)),
    );
  });
}

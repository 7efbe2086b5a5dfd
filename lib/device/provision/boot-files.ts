import { chmodSync, closeSync, copyFileSync, existsSync, fstatSync, fsyncSync, mkdirSync, openSync, readFileSync, unlinkSync, writeSync } from 'node:fs';
import path from 'node:path';
import type { ProvisionInput } from './read-provision.js';

/** The provisioning files present in the boot directory, in the order given. */
export function findFiles(boot: string, names: readonly string[]): ProvisionInput[] {
  return names.filter((n) => existsSync(path.join(boot, n))).map((name) => ({ name, text: readFileSync(path.join(boot, name), 'utf8') }));
}

function fsyncDir(dir: string): void {
  const fd = openSync(dir, 'r');
  try {
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
}

/**
 * Deletes the files from the FAT (they may hold a password hash or a Wi-Fi key) and makes that
 * durable. An unlink on FAT only frees the clusters, which keep the bytes for anyone who reads the
 * card raw: each file is overwritten with zeros in place and synced first (vfat rewrites a file's
 * clusters in place), then unlinked.
 */
export function removeFiles(boot: string, names: string[]): void {
  for (const n of names) {
    const file = path.join(boot, n);
    const fd = openSync(file, 'r+');
    try {
      const size = fstatSync(fd).size;
      const zeros = Buffer.alloc(Math.min(size, 1 << 20));
      for (let at = 0; at < size; at += zeros.length) writeSync(fd, zeros, 0, Math.min(zeros.length, size - at), at);
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
    unlinkSync(file);
  }
  fsyncDir(boot);
}

/**
 * Moves rejected files off the FAT (anyone can read a FAT) into a 0700 directory, 0600 each, under a
 * time-stamped name: a copy and an unlink, since the two are different file systems.
 */
export function rejectFiles(boot: string, names: string[], rejected: string, now = new Date()): string[] {
  mkdirSync(rejected, { recursive: true, mode: 0o700 });
  chmodSync(rejected, 0o700);
  const stamp = now.toISOString().replace(/[:.]/g, '-');
  const moved = names.map((n) => {
    const dest = path.join(rejected, `${stamp}-${n}`);
    copyFileSync(path.join(boot, n), dest);
    chmodSync(dest, 0o600);
    const fd = openSync(dest, 'r');
    fsyncSync(fd);
    closeSync(fd);
    return dest;
  });
  fsyncDir(rejected);
  removeFiles(boot, names);
  return moved;
}

// Owners under proot, which runs without any namespace: every file on disk is the user's, so the
// real owners live beside the root directory. An image root has a map path -> [uid, gid] (files
// not root's only), made from its layers' headers or by the commit that made it. A step's copy
// carries those owners by inode (a rename keeps them, a file written anew is root's, as in a
// real root) in the file named by STALKER_PROOT_OWNERS, lines "dev ino uid gid" (-1: unchanged):
// stalker's proot (bin/proot-patches) reports them through stat and appends every chown it fakes.
import { lstat, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';

export type Owner = readonly [uid: number, gid: number];
/** Relative path (no leading slash) -> owner, for files not owned by 0:0. */
export type OwnerMap = Map<string, Owner>;
/** `${dev}:${ino}` -> owner, for one directory tree on disk. */
export type InodeOwners = Map<string, Owner>;

export const ROOT_OWNER: Owner = [0, 0];
export const inodeKey = (dev: number | bigint | string, ino: number | bigint | string) => `${dev}:${ino}`;
export const ownersFile = (rootDir: string) => `${rootDir}.owners.json`;

export async function readOwners(rootDir: string): Promise<OwnerMap> {
  try {
    return new Map(Object.entries(JSON.parse(await readFile(ownersFile(rootDir), 'utf8')) as Record<string, Owner>));
  } catch {
    return new Map();
  }
}

export async function writeOwners(rootDir: string, owners: OwnerMap): Promise<void> {
  await writeFile(ownersFile(rootDir), JSON.stringify(Object.fromEntries([...owners].sort(([a], [b]) => (a < b ? -1 : 1)))));
}

/** Forgets `rel` and everything under it (a whiteout); `inside` only what is under it (opaque). */
export function forget(owners: OwnerMap, rel: string, inside = false): void {
  for (const k of [...owners.keys()]) if ((!inside && k === rel) || k.startsWith(`${rel}/`) || rel === '') owners.delete(k);
}

/** The owners of a fresh copy of an image root, by inode (lstat: bigint inodes are exact). */
export async function ownersByInode(root: string, owners: OwnerMap): Promise<InodeOwners> {
  const out: InodeOwners = new Map();
  for (const [rel, owner] of owners) {
    const s = await lstat(join(root, rel), { bigint: true }).catch(() => undefined);
    if (s) out.set(inodeKey(s.dev, s.ino), owner);
  }
  return out;
}

export const ownerLines = (byInode: InodeOwners) => [...byInode].map(([k, [uid, gid]]) => `${k.replace(':', ' ')} ${uid} ${gid}\n`).join('');

/** Applies proot's chown log (in the order the calls were made) to the copy's inode owners. */
export function applyChownLog(byInode: InodeOwners, log: string): InodeOwners {
  for (const line of log.split('\n')) {
    const f = line.trim().split(' ');
    if (f.length !== 4) continue;
    const [dev, ino, uid, gid] = f;
    const key = inodeKey(dev, ino);
    const now = byInode.get(key) ?? ROOT_OWNER;
    const next: Owner = [Number(uid) < 0 ? now[0] : Number(uid), Number(gid) < 0 ? now[1] : Number(gid)];
    if (next[0] === 0 && next[1] === 0) byInode.delete(key);
    else byInode.set(key, next);
  }
  return byInode;
}

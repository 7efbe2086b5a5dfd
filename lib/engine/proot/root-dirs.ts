// Plain root directories for proot, which runs without any namespace: an image's root is its
// layers applied in order into one directory owned by the user (whiteouts applied, device nodes
// dropped: an ordinary user cannot make them; owners kept aside, see root-owners.ts), and a
// step's change is the difference between its copy and the parent's root, written as an OCI
// layer (deletions as whiteouts).
import { createReadStream, createWriteStream } from 'node:fs';
import { chmod, lstat, mkdir, readdir, readFile, readlink, rm, symlink, utimes, link } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { extract, type Header, pack } from 'tar-stream';
import { forget, type InodeOwners, inodeKey, type OwnerMap, ROOT_OWNER } from './root-owners.js';

const inside = (root: string, name: string) => join(root, name.replace(/^\.?\/+/, '').replace(/\/+$/, ''));

const relOf = (name: string) => name.replace(/^\.?\/+/, '').replace(/\/+$/, '');

/**
 * Applies one OCI layer onto `root` (an unprivileged extraction: modes kept; owners other than
 * 0:0 go into `owners`, the files on disk are the user's).
 */
export async function applyLayer(root: string, layer: string, owners: OwnerMap): Promise<void> {
  const x = extract();
  x.on('entry', (h, body, next) => {
    void (async () => {
      const path = inside(root, h.name);
      const rel = relOf(h.name);
      const base = path.slice(path.lastIndexOf('/') + 1);
      const dir = rel.includes('/') ? rel.slice(0, rel.lastIndexOf('/')) : '';
      if (base === '.wh..wh..opq') {
        for (const e of await readdir(dirname(path)).catch(() => [] as string[])) await rm(join(dirname(path), e), { recursive: true, force: true });
        forget(owners, dir, true);
      } else if (base.startsWith('.wh.')) {
        await rm(join(dirname(path), base.slice(4)), { recursive: true, force: true });
        forget(owners, dir ? `${dir}/${base.slice(4)}` : base.slice(4));
      } else if (h.type === 'directory') {
        await mkdir(path, { recursive: true });
        await chmod(path, (h.mode ?? 0o755) | 0o700); // the user must be able to write it
      } else if (h.type === 'file' || h.type === 'symlink' || h.type === 'link') {
        await mkdir(dirname(path), { recursive: true });
        await rm(path, { recursive: true, force: true });
        if (h.type === 'symlink') await symlink(h.linkname ?? '', path);
        else if (h.type === 'link') await link(inside(root, h.linkname ?? ''), path);
        else {
          await pipeline(body, createWriteStream(path, { mode: 0o600 }));
          await chmod(path, (h.mode ?? 0o644) | 0o600);
        }
        if (h.type !== 'symlink' && h.mtime) await utimes(path, h.mtime, h.mtime);
      } // devices and fifos: an ordinary user cannot make devices; /dev is bound from the host
      if (!base.startsWith('.wh.') && ['directory', 'file', 'symlink', 'link'].includes(h.type ?? '')) {
        if (h.uid || h.gid) owners.set(rel, [h.uid ?? 0, h.gid ?? 0]);
        else if (h.type !== 'directory') forget(owners, rel);
        else owners.delete(rel);
      }
      body.resume();
    })().then(
      () => next(),
      (err: Error) => x.destroy(err),
    );
  });
  const done = new Promise<void>((resolve, reject) => x.on('finish', () => resolve()).on('error', reject));
  createReadStream(layer).pipe(x);
  await done;
}

interface Node {
  type: 'dir' | 'file' | 'symlink' | 'other';
  mode: number;
  size: number;
  mtime: number;
  inode: string;
  target?: string;
}

async function nodeOf(path: string): Promise<Node | undefined> {
  const s = await lstat(path, { bigint: true }).catch(() => undefined);
  if (!s) return undefined;
  const type = s.isDirectory() ? 'dir' : s.isFile() ? 'file' : s.isSymbolicLink() ? 'symlink' : 'other';
  return {
    type,
    mode: Number(s.mode & 0o7777n),
    size: Number(s.size),
    mtime: Number(s.mtimeMs),
    inode: inodeKey(s.dev, s.ino),
    target: type === 'symlink' ? await readlink(path) : undefined,
  };
}

const same = (a: Node, b: Node) => a.type === b.type && a.mode === b.mode && a.size === b.size && a.mtime === b.mtime && a.target === b.target;

/** Owners for a diff: the step copy's (by inode), the parent root's (by path); `out` is filled. */
export interface DiffOwners {
  byInode: InodeOwners;
  parent: OwnerMap;
  out: OwnerMap;
}

/**
 * The difference `root` - `parent` as an OCI layer tar. A file is in it when its content, type,
 * mode, mtime, link target or owner changed; every entry's owner comes from `owners` (0:0 else).
 */
export function diffLayer(root: string, parent: string, skip: Set<string>, owners: DiffOwners): Readable {
  const p = pack();
  const put = (h: Partial<Header> & { name: string }, body?: Buffer) =>
    new Promise<void>((resolve, reject) => {
      p.entry({ uid: 0, gid: 0, ...h } as Header, body ?? (h.type === 'file' ? Buffer.alloc(0) : (undefined as never)), (err) =>
        err ? reject(err) : resolve(),
      );
    });
  const walk = async (rel: string): Promise<void> => {
    const names = new Set(await readdir(join(root, rel)).catch(() => [] as string[]));
    for (const name of [...names].sort()) {
      const r = rel ? `${rel}/${name}` : name;
      if (skip.has(`/${r}`)) continue;
      const now = (await nodeOf(join(root, r)))!;
      const before = await nodeOf(join(parent, r));
      const [uid, gid] = owners.byInode.get(now.inode) ?? ROOT_OWNER;
      if (uid || gid) owners.out.set(r, [uid, gid]);
      const [puid, pgid] = owners.parent.get(r) ?? ROOT_OWNER;
      const changed = !before || !same(now, before) || uid !== puid || gid !== pgid;
      const mtime = new Date(now.mtime);
      if (now.type === 'dir') {
        if (changed) await put({ name: `${r}/`, type: 'directory', mode: now.mode, mtime, uid, gid });
        await walk(r);
      } else if (changed && now.type === 'file') {
        await put({ name: r, type: 'file', mode: now.mode, mtime, uid, gid }, await readFile(join(root, r)));
      } else if (changed && now.type === 'symlink') {
        await put({ name: r, type: 'symlink', linkname: now.target, mode: 0o777, mtime, uid, gid });
      }
    }
    for (const name of (await readdir(join(parent, rel)).catch(() => [] as string[])).sort()) {
      if (!names.has(name) && !skip.has(`/${rel ? `${rel}/` : ''}${name}`))
        await put({ name: `${rel ? `${rel}/` : ''}.wh.${name}`, type: 'file', mode: 0o644 });
    }
  };
  walk('').then(
    () => p.finalize(),
    (err: Error) => p.destroy(err),
  );
  return p as unknown as Readable;
}

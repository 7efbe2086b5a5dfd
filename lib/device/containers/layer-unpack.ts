import { spawn } from 'node:child_process';
import { createWriteStream } from 'node:fs';
import { chmod, lchown, link, lstat, lutimes, mkdir, readdir, rm, symlink } from 'node:fs/promises';
import path from 'node:path';
import { pipeline } from 'node:stream/promises';
import { Duplex, type Readable } from 'node:stream';
import { createGunzip } from 'node:zlib';
import tar from 'tar-stream';
import { SysdbError } from '../errors.js';

const WHITEOUT = '.wh.';
const OPAQUE = '.wh..wh..opq';
const fail = (layer: string, why: string) => new SysdbError('BAD_VALUE', `layer ${layer}: ${why}`);

/** A tar member's path as components inside the root; absolute paths and ".." are refused, never resolved. */
export function memberPath(name: string): string[] | string {
  if (name.startsWith('/')) return `absolute path ${JSON.stringify(name)} refused`;
  const parts = name.split('/').filter((p) => p !== '' && p !== '.');
  if (parts.includes('..')) return `path ${JSON.stringify(name)} refused: it contains ".."`;
  if (parts.some((p) => p.includes('\0'))) return `path ${JSON.stringify(name)} refused`;
  return parts;
}

const exists = (p: string) => lstat(p).catch(() => undefined);

/**
 * Makes sure every parent of parts is a real directory under root: a symlink among them is refused
 * (following it could write outside the root), a missing one is created.
 */
async function parents(root: string, parts: string[], layer: string): Promise<string> {
  let dir = root;
  for (const p of parts.slice(0, -1)) {
    dir = path.join(dir, p);
    const st = await exists(dir);
    if (!st) await mkdir(dir, { mode: 0o755 });
    else if (st.isSymbolicLink()) throw fail(layer, `${parts.join('/')} goes through the symlink ${path.relative(root, dir)}: refused`);
    else if (!st.isDirectory()) throw fail(layer, `${parts.join('/')}: ${path.relative(root, dir)} is not a directory`);
  }
  return dir;
}

function decompressor(mediaType: string): NodeJS.ReadWriteStream | undefined {
  if (/gzip$/.test(mediaType)) return createGunzip();
  if (/zstd$/.test(mediaType)) {
    // Node 20's zlib has no zstd; the zstd program does (Debian package zstd).
    const z = spawn('zstd', ['-dc'], { stdio: ['pipe', 'pipe', 'ignore'] });
    z.on('error', () => z.stdout.destroy(new Error('zstd layers need the zstd program (apt install zstd)')));
    return Duplex.from({ writable: z.stdin, readable: z.stdout });
  }
  if (/tar$/.test(mediaType)) return undefined;
  throw new SysdbError('BAD_VALUE', `unsupported layer media type ${mediaType}`);
}

/**
 * Applies one layer to root: files, directories, symlinks (stored as they are, never followed
 * here: nspawn resolves them inside the container), hard links to regular files inside the root,
 * whiteouts (.wh.NAME removes NAME of the layers below; .wh..wh..opq empties its directory of
 * them). Owners and modes are kept (setuid too: it is the container's); device nodes, fifos and
 * xattrs (file capabilities) are skipped.
 */
export async function applyLayer(root: string, blob: Readable | NodeJS.ReadableStream, mediaType: string, layer: string): Promise<void> {
  const extract = tar.extract();
  const ours = new Set<string>();
  const unz = decompressor(mediaType);
  const feeding = unz ? pipeline(blob as Readable, unz, extract) : pipeline(blob as Readable, extract);
  const work = (async () => {
    for await (const entry of extract as AsyncIterable<Readable & { header: tar.Header }>) {
      await member(root, entry.header, entry, ours, layer);
      entry.resume();
    }
  })();
  await Promise.all([feeding, work]).catch((e) => {
    extract.destroy();
    throw e instanceof SysdbError ? e : fail(layer, (e as Error).message);
  });
}

async function member(root: string, h: tar.Header, body: Readable, ours: Set<string>, layer: string): Promise<void> {
  const parts = memberPath(h.name);
  if (typeof parts === 'string') throw fail(layer, parts);
  if (!parts.length) return; // "./" itself
  const dir = await parents(root, parts, layer);
  const base = parts[parts.length - 1];
  const rel = parts.join('/');
  if (base === OPAQUE) {
    for (const child of await readdir(dir))
      if (!ours.has(path.posix.join(parts.slice(0, -1).join('/'), child))) await rm(path.join(dir, child), { recursive: true, force: true });
    return;
  }
  if (base.startsWith(WHITEOUT)) {
    await rm(path.join(dir, base.slice(WHITEOUT.length)), { recursive: true, force: true });
    return;
  }
  const target = path.join(dir, base);
  const had = await exists(target);
  if (had && !(had.isDirectory() && h.type === 'directory')) await rm(target, { recursive: true, force: true });
  ours.add(rel);
  const mode = (h.mode ?? 0o644) & 0o7777;
  switch (h.type) {
    case 'directory':
      if (!had?.isDirectory()) await mkdir(target);
      break;
    case 'file':
    case 'contiguous-file':
      // 'wx': O_EXCL, which never follows a symlink someone left at the path
      await pipeline(body, createWriteStream(target, { flags: 'wx', mode: 0o600 }));
      break;
    case 'symlink':
      await symlink(h.linkname ?? '', target);
      break;
    case 'link': {
      const to = memberPath(h.linkname ?? '');
      if (typeof to === 'string' || !to.length) throw fail(layer, `hard link ${rel} -> ${h.linkname}: ${typeof to === 'string' ? to : 'empty target'}`);
      const from = path.join(await parents(root, to, layer), to[to.length - 1]);
      const st = await exists(from);
      if (!st?.isFile()) throw fail(layer, `hard link ${rel} -> ${h.linkname}: not a regular file in the image`);
      await link(from, target);
      return;
    }
    default:
      ours.delete(rel);
      return; // devices, fifos: nspawn gives the container its own /dev
  }
  await lchown(target, h.uid ?? 0, h.gid ?? 0);
  if (h.type !== 'symlink') await chmod(target, mode);
  if (h.mtime) await lutimes(target, h.mtime, h.mtime);
}

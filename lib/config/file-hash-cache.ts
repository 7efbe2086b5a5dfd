// A tarball's sha256 is checked when the tree loads, so a wrong pin is a config problem, not a
// failure once the build reaches the bootstrap. Hashing a root filesystem tarball on every plan
// would cost seconds, so hashes are kept by path and what git's index trusts a file by: size,
// mtime, ctime (which no tool can set back, unlike mtime: `touch -r`, `cp -p`, tar) and inode (a
// file replaced by rename), in <root>/.stalker/sha256-cache.json.
import { createHash } from 'node:crypto';
import { closeSync, mkdirSync, openSync, readFileSync, readSync, renameSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { PathProblem, errnoText, kindName, statPath } from './path-kind.js';

type Entry = { size: number; mtimeMs: number; ctimeMs: number; ino: number; sha256: string };

export function hashCacheFile(root: string): string {
  return join(root, '.stalker', 'sha256-cache.json');
}

/** sha256 of a regular file, from the cache when its size, mtime, ctime and inode did not change. */
export function cachedFileSha256(path: string, cacheFile: string): string {
  const st = statPath(path);
  if (!st.isFile()) throw new PathProblem(path, `${path} is ${kindName(st)}, not a regular file`);
  const cache = readCache(cacheFile);
  const hit = cache[path];
  const now = { size: st.size, mtimeMs: st.mtimeMs, ctimeMs: st.ctimeMs, ino: st.ino };
  if (hit && hit.size === now.size && hit.mtimeMs === now.mtimeMs && hit.ctimeMs === now.ctimeMs && hit.ino === now.ino) return hit.sha256;
  const sha256 = hashFile(path);
  cache[path] = { ...now, sha256 };
  writeCache(cacheFile, cache);
  return sha256;
}

function hashFile(path: string): string {
  const h = createHash('sha256');
  const buf = Buffer.allocUnsafe(1 << 20);
  let fd: number;
  try {
    fd = openSync(path, 'r');
  } catch (e) {
    throw new PathProblem(path, errnoText(path, e));
  }
  try {
    for (let n; (n = readSync(fd, buf, 0, buf.length, null)) > 0;) h.update(buf.subarray(0, n));
  } catch (e) {
    throw new PathProblem(path, errnoText(path, e));
  } finally {
    closeSync(fd);
  }
  return h.digest('hex');
}

function readCache(file: string): Record<string, Entry> {
  try {
    const data = JSON.parse(readFileSync(file, 'utf8'));
    return typeof data === 'object' && data !== null && !Array.isArray(data) ? data : {};
  } catch {
    return {}; // absent or damaged: it is only a cache
  }
}

function writeCache(file: string, cache: Record<string, Entry>): void {
  try {
    mkdirSync(dirname(file), { recursive: true });
    const tmp = `${file}.${process.pid}.tmp`;
    writeFileSync(tmp, JSON.stringify(cache));
    renameSync(tmp, file);
  } catch {
    // a read-only checkout still loads; it only hashes again next time
  }
}

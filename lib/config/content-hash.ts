// Content hashes of mount sources: part of every cache key, so a directory's hash covers what a
// step could observe through the mount (relative paths, file types, modes, bytes, link targets)
// and nothing it could not (mtimes, owners).
import { createHash } from 'node:crypto';
import { lstatSync, readdirSync, readlinkSync, type Stats } from 'node:fs';
import { join } from 'node:path';
import { errnoText, kindName, PathProblem, readRegularFile, statPath } from './path-kind.js';

export function sha256(data: Buffer | string): string {
  return createHash('sha256').update(data).digest('hex');
}

const memo = new Map<string, string>();

/**
 * sha256 of a file's bytes, or of a directory's sorted walk. Memoised per process and path.
 * Anything else (a FIFO would block the read, a device never ends, a socket cannot be read) and
 * anything unreadable throws a PathProblem.
 */
export function hashPath(path: string): string {
  let h = memo.get(path);
  if (h === undefined) {
    const st = statPath(path);
    if (st.isDirectory()) h = hashDir(path);
    else if (st.isFile()) h = sha256(readRegularFile(path));
    else throw new PathProblem(path, `${path} is ${kindName(st)}: only regular files and directories can be mounted (their content is part of the cache key)`);
    memo.set(path, h);
  }
  return h;
}

/** fs calls inside a walk: errors become PathProblems naming the walked root. */
function guarded<T>(root: string, f: () => T): T {
  try {
    return f();
  } catch (e) {
    if (e instanceof PathProblem) throw e;
    throw new PathProblem(root, errnoText(root, e));
  }
}

/** Forget memoised hashes (tests, and a long-lived process that reloads configs). */
export function clearHashMemo(): void {
  memo.clear();
}

function hashDir(root: string): string {
  const h = createHash('sha256');
  const walk = (rel: string) => {
    const abs = join(root, rel);
    const names = guarded(root, () => readdirSync(abs)).sort();
    for (const n of names) {
      const r = rel ? `${rel}/${n}` : n;
      const st = guarded(root, () => lstatSync(join(root, r)));
      const mode = (st.mode & 0o7777).toString(8);
      if (st.isSymbolicLink()) h.update(`L ${r} ${guarded(root, () => readlinkSync(join(root, r)))}\0`);
      else if (st.isDirectory()) {
        h.update(`D ${r} ${mode}\0`);
        walk(r);
      } else if (st.isFile()) {
        h.update(`F ${r} ${mode} ${st.size}\0`);
        h.update(readRegularFile(join(root, r)));
      } else h.update(`O ${r}\0`); // sockets, fifos, devices: presence only, never opened
    }
  };
  walk('');
  return h.digest('hex');
}

/**
 * Every regular file (or symlink to one) under dir, as paths relative to dir, sorted. Symlinks are
 * followed, so a link back up the tree is walked once (by device and inode), not forever; a link
 * that resolves to nothing throws a PathProblem naming it.
 */
export function listFiles(dir: string, onProblem?: (p: PathProblem) => void): string[] {
  const out: string[] = [];
  // with onProblem, an entry that cannot be resolved is reported and skipped, so all are reported
  const stat = (path: string) => {
    try {
      return statPath(path);
    } catch (e) {
      if (!onProblem || !(e instanceof PathProblem)) throw e;
      onProblem(e);
      return undefined;
    }
  };
  const seen = new Set<string>();
  const walk = (rel: string, st: Stats) => {
    const id = `${st.dev}:${st.ino}`;
    if (seen.has(id)) return;
    seen.add(id);
    for (const n of guarded(dir, () => readdirSync(join(dir, rel))).sort()) {
      const r = rel ? `${rel}/${n}` : n;
      const sub = stat(join(dir, r));
      if (sub?.isDirectory()) walk(r, sub);
      else if (sub?.isFile()) out.push(r);
    }
  };
  walk('', statPath(dir));
  return out;
}

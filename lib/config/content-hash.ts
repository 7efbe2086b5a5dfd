// Content hashes of mount sources: part of every cache key, so a directory's hash covers what a
// step could observe through the mount (relative paths, file types, modes, bytes, link targets)
// and nothing it could not (mtimes, owners).
import { createHash } from 'node:crypto';
import { lstatSync, readdirSync, readFileSync, readlinkSync, statSync } from 'node:fs';
import { join } from 'node:path';

export function sha256(data: Buffer | string): string {
  return createHash('sha256').update(data).digest('hex');
}

const memo = new Map<string, string>();

/** sha256 of a file's bytes, or of a directory's sorted walk. Memoised per process and path. */
export function hashPath(path: string): string {
  let h = memo.get(path);
  if (h === undefined) {
    h = statSync(path).isDirectory() ? hashDir(path) : sha256(readFileSync(path));
    memo.set(path, h);
  }
  return h;
}

/** Forget memoised hashes (tests, and a long-lived process that reloads configs). */
export function clearHashMemo(): void {
  memo.clear();
}

function hashDir(root: string): string {
  const h = createHash('sha256');
  const walk = (rel: string) => {
    const abs = join(root, rel);
    const names = readdirSync(abs).sort();
    for (const n of names) {
      const r = rel ? `${rel}/${n}` : n;
      const st = lstatSync(join(root, r));
      const mode = (st.mode & 0o7777).toString(8);
      if (st.isSymbolicLink()) h.update(`L ${r} ${readlinkSync(join(root, r))}\0`);
      else if (st.isDirectory()) {
        h.update(`D ${r} ${mode}\0`);
        walk(r);
      } else if (st.isFile()) {
        h.update(`F ${r} ${mode} ${st.size}\0`);
        h.update(readFileSync(join(root, r)));
      } else h.update(`O ${r}\0`); // sockets, fifos: presence only
    }
  };
  walk('');
  return h.digest('hex');
}

/** Every regular file (or symlink to one) under dir, as paths relative to dir, sorted. */
export function listFiles(dir: string): string[] {
  const out: string[] = [];
  const walk = (rel: string) => {
    for (const n of readdirSync(join(dir, rel)).sort()) {
      const r = rel ? `${rel}/${n}` : n;
      const st = statSync(join(dir, r));
      if (st.isDirectory()) walk(r);
      else if (st.isFile()) out.push(r);
    }
  };
  walk('');
  return out;
}

// Docker creates an empty file or directory at every bind-mount target missing from the image,
// and `docker commit` keeps it: each sysroot file would leave an empty stand-in in the image.
// The writer removes those stand-ins from the unpacked root before sizing it. Only an empty regular
// file or an empty directory is removed; anything with content is the image's own and stays.
import { lstat, readdir, rmdir, unlink } from 'node:fs/promises';
import { join, normalize } from 'node:path';

export async function dropMountStubs(root: string, targets: readonly string[]): Promise<string[]> {
  const removed: string[] = [];
  // Deepest first, so a stub directory emptied of its stub children can go too.
  const sorted = [...new Set(targets.map((t) => normalize(`/${t}`)))].sort((a, b) => b.length - a.length);
  for (const target of sorted) {
    if (target === '/') continue;
    const path = join(root, target);
    const st = await lstat(path).catch(() => undefined);
    if (!st) continue;
    if (st.isFile() && st.size === 0) {
      await unlink(path);
      removed.push(target);
    } else if (st.isDirectory() && (await readdir(path)).length === 0) {
      await rmdir(path);
      removed.push(target);
    }
  }
  return removed;
}

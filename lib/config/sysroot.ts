import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { hashPath, listFiles } from './content-hash.js';
import type { Mount } from './types.js';

// Placeholders that keep an empty directory in git are not part of the sysroot.
const IGNORED = new Set(['.gitkeep', '.keep']);

/** Every file under <root>/sysroot/ as a read-only mount at the same absolute path. */
export function sysrootMounts(root: string): Mount[] {
  const dir = join(root, 'sysroot');
  if (!existsSync(dir)) return [];
  return listFiles(dir)
    .filter((rel) => !IGNORED.has(rel.slice(rel.lastIndexOf('/') + 1)))
    .map((rel) => ({ source: join(dir, rel), target: `/${rel}`, readOnly: true, sha256: hashPath(join(dir, rel)) }));
}

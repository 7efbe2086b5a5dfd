import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { hashPath, listFiles } from './content-hash.js';
import { PathProblem } from './path-kind.js';
import type { Problems } from './problems.js';
import type { Mount } from './types.js';

// Placeholders that keep an empty directory in git are not part of the sysroot.
const IGNORED = new Set(['.gitkeep', '.keep']);

/**
 * Every file under <root>/sysroot/ as a read-only mount at the same absolute path. Nothing in a
 * hjson file names these, so a problem (a dangling link, an unreadable file) is reported at the
 * sysroot path itself.
 */
export function sysrootMounts(root: string, problems: Problems): Mount[] {
  const dir = join(root, 'sysroot');
  if (!existsSync(dir)) return [];
  try {
    return listFiles(dir, (e) => problems.add(e.path, undefined, `sysroot: ${e.message}`))
      .filter((rel) => !IGNORED.has(rel.slice(rel.lastIndexOf('/') + 1)))
      .flatMap((rel) => {
        const source = join(dir, rel);
        try {
          return [{ source, target: `/${rel}`, readOnly: true, sha256: hashPath(source) }];
        } catch (e) {
          if (!(e instanceof PathProblem)) throw e;
          problems.add(source, undefined, `sysroot: ${e.message}`);
          return [];
        }
      });
  } catch (e) {
    if (!(e instanceof PathProblem)) throw e;
    problems.add(e.path, undefined, `sysroot: ${e.message}`);
    return [];
  }
}

import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** stalker's version from its package.json (found upward: the sources and dist/ sit at different depths). */
export function stalkerVersion(): string {
  for (let dir = dirname(fileURLToPath(import.meta.url)); dirname(dir) !== dir; dir = dirname(dir)) {
    try {
      const pkg = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8'));
      if (pkg.name === 'stalker') return String(pkg.version);
    } catch {
      // not here: keep walking up
    }
  }
  return 'unknown';
}

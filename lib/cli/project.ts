// Where a tree's project lives: trees/<name>/<name>.hjson sits two levels below the project root,
// which holds logs/ and the named caches.
import { dirname, join, resolve } from 'node:path';
import { loadTree } from '../config/load-tree.js';
import type { ResolvedTree } from '../config/types.js';
import { StalkerError } from '../errors.js';

export interface Project {
  tree: ResolvedTree;
  root: string;
  logsDir: string;
  cacheDir: string;
}

export async function openProject(config: string | undefined): Promise<Project> {
  if (!config) throw new StalkerError('USAGE', 'missing --config <trees/NAME/NAME.hjson>');
  const root = resolve(dirname(resolve(config)), '..', '..');
  const tree = await loadTree(config, { root });
  return { tree, root, logsDir: join(root, 'logs'), cacheDir: process.env.STALKER_CACHE_DIR ?? join(root, '.stalker', 'caches') };
}

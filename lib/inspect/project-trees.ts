// Every tree of a project (trees/<name>/<name>.hjson), loaded and checked: what prune and doctor
// call the current trees.
import { existsSync } from 'node:fs';
import { readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { loadTree } from '../config/load-tree.js';
import type { ResolvedTree } from '../config/types.js';
import { StalkerError } from '../errors.js';

export async function treeFiles(root: string): Promise<string[]> {
  const dir = join(root, 'trees');
  if (!existsSync(dir)) return [];
  const names = (await readdir(dir, { withFileTypes: true }))
    .filter((d) => d.isDirectory())
    .map((d) => d.name)
    .sort();
  return names.map((n) => join(dir, n, `${n}.hjson`)).filter((f) => existsSync(f));
}

export async function loadProjectTrees(root: string): Promise<ResolvedTree[]> {
  const trees: ResolvedTree[] = [];
  for (const file of await treeFiles(root)) {
    try {
      trees.push(await loadTree(file, { root }));
    } catch (err) {
      const detail = err instanceof Error ? err.message : String(err);
      throw new StalkerError('CONFIG_INVALID', `tree ${file} does not load, so what it references is unknown; fix it first:\n${detail}`, { cause: err });
    }
  }
  return trees;
}

// Loads a tree and hands back its problems as "relative/file:line:col: message" lines (or [] when
// the tree is valid), the way `stalker plan` prints them.
import { ConfigError, formatProblem } from '../../lib/errors.js';
import { loadTree } from '../../lib/config/load-tree.js';

export async function problemLines(tree: string, root: string): Promise<string[]> {
  try {
    await loadTree(tree, { root });
    return [];
  } catch (e) {
    if (!(e instanceof ConfigError)) throw e;
    return e.problems.map((p) => formatProblem(p).replaceAll(`${root}/`, ''));
  }
}

// The shape rules of a node that JSON Schema cannot say well: how root, child and writer nodes
// differ, and whether the nodes it names exist.
import { readCopies } from './node-copies.js';
import type { Problems, SourceFile } from './problems.js';
import { didYouMean } from './suggest.js';
import type { NodeEntry } from './tree-nodes.js';
import type { NodeCopy } from './types.js';

export interface NodeShape {
  from?: string;
  needs: string[]; // with the sources of its copies
  copies: NodeCopy[];
  /** false when a schema error already covers a field this node's shape depends on */
  complete: boolean;
}

export function nodeShape(e: NodeEntry, known: ReadonlySet<string>, src: SourceFile, problems: Problems, isBad: (ptr: string) => boolean): NodeShape {
  const r = e.raw;
  const p = e.pointer;
  const fieldOk = (k: string) => !isBad(`${p}/${k}`);
  const complete = ['from', 'needs', 'copy', 'bootstrap', 'writer', 'stalk'].every(fieldOk);
  const at = (k: string, msg: string) => problems.at(src, k ? `${p}/${k}` : p, `node "${e.name}": ${msg}`);

  let from = fieldOk('from') ? r.from : undefined;
  if (e.nestedIn !== undefined) {
    if (from !== undefined) at('from', `nested under "${e.nestedIn}" and also has from "${from}": use one`);
    from = e.nestedIn;
  }
  if (from !== undefined && !known.has(from)) {
    at(e.nestedIn ? '' : 'from', `unknown parent "${from}" in from${didYouMean(from, known)}`);
    from = undefined;
  }
  const needs = (fieldOk('needs') ? (r.needs ?? []) : []).filter((n, i) => {
    if (known.has(n)) return true;
    problems.at(src, `${p}/needs/${i}`, `node "${e.name}": unknown node "${n}" in needs${didYouMean(n, known)}`, 'value');
    return false;
  });

  const copies = fieldOk('copy') ? readCopies(e, known, src, problems) : [];
  for (const c of copies) if (!needs.includes(c.from)) needs.push(c.from);

  const hasFrom = r.from !== undefined || e.nestedIn !== undefined;
  if (complete) {
    if (r.writer !== undefined) {
      if (!hasFrom) at('writer', 'a writer node needs from (the node whose root filesystem it writes)');
      if (r.stalk !== undefined) at('stalk', 'a writer node runs no stalk: remove stalk');
      if (r.bootstrap !== undefined) at('bootstrap', 'a writer node has no bootstrap: remove bootstrap');
    } else if (hasFrom && r.bootstrap !== undefined) {
      at('bootstrap', 'has both from and bootstrap: a node starts either from its parent or from a bootstrap');
    } else if (!hasFrom && r.bootstrap === undefined) {
      at('', 'a root node needs a bootstrap (debootstrap, tarball or image), or give it a parent with from');
    }
  }
  return { from, needs, copies, complete };
}

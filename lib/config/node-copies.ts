// A node's `copy` list: paths taken from other nodes' final images (a multi-stage COPY --from).
// Each source node is also a need, so it is built first and its image id enters the key.
import { posix } from 'node:path';
import { pointerLabel, type Problems, type SourceFile } from './problems.js';
import type { RawCopy } from './raw-types.js';
import { didYouMean } from './suggest.js';
import type { NodeEntry } from './tree-nodes.js';
import type { NodeCopy, ResolvedNode } from './types.js';

/** The copies of one node that name a known node and absolute paths; problems for the others. */
export function readCopies(e: NodeEntry, known: ReadonlySet<string>, src: SourceFile, problems: Problems): NodeCopy[] {
  const copies: NodeCopy[] = [];
  const dests = new Set<string>();
  (e.raw.copy ?? []).forEach((c: RawCopy, i) => {
    const bad: string[] = [];
    const at = (field: string, msg: string) => {
      const ptr = `${e.pointer}/copy/${i}/${field}`;
      problems.at(src, ptr, `node "${e.name}": ${pointerLabel(ptr.slice(e.pointer.length))}: ${msg}`, 'value');
      bad.push(field);
    };
    if (c.from === e.name) at('from', 'a node cannot copy from itself');
    else if (!known.has(c.from)) at('from', `unknown node "${c.from}"${didYouMean(c.from, known)}`);
    const path = (field: 'src' | 'dest'): string => {
      const p = c[field];
      const n = posix.normalize(p).replace(/\/+$/, '');
      if (!p.startsWith('/')) at(field, `"${p}" is not an absolute path`);
      else if (!n) at(field, 'the whole root filesystem cannot be copied: name a file or directory');
      return n;
    };
    const srcPath = path('src');
    const dest = path('dest');
    if (!bad.includes('dest') && dests.has(dest)) at('dest', `${dest} is already the destination of another copy`);
    dests.add(dest);
    if (!bad.length) copies.push({ from: c.from, src: srcPath, dest });
  });
  return copies;
}

/** Rules that need every node resolved: a copy lands with a first step, and a writer has no image of its own. */
export function checkCopies(nodes: ReadonlyMap<string, ResolvedNode>, pointerOf: (node: string) => string, src: SourceFile, problems: Problems): void {
  for (const node of nodes.values()) {
    if (!node.copies.length) continue;
    const at = (msg: string) => problems.at(src, `${pointerOf(node.name)}/copy`, `node "${node.name}": ${msg}`);
    if (node.writer) at('a writer node copies nothing: copy into the node it writes');
    else if (!node.steps.length && (node.stalk || node.bootstrap)) at('copy needs a step to land with: give the node a stalk with at least one step');
    for (const c of node.copies) {
      const source = nodes.get(c.from);
      if (source?.writer) at(`copy from writer node "${c.from}": copy from the node it writes ("${source.from}") instead`);
    }
  }
}

// The scheduler's view of a tree: each node with what it waits for (its parent and its needs),
// in topological order. The plan walks the same order.
import type { ResolvedTree } from '../config/types.js';
import { buildTreeGraph, topologicalOrder } from '../graph/tree-graph.js';

export interface Job {
  name: string;
  deps: string[];
}

export function jobsOf(tree: ResolvedTree): Job[] {
  // The loader already ordered the tree; hand-made trees (tests) may not carry the order.
  const order = tree.order ?? topologicalOrder(buildTreeGraph(tree.nodes.values()));
  return order.map((name) => {
    const node = tree.nodes.get(name)!;
    return { name, deps: [...new Set([...(node.from ? [node.from] : []), ...node.needs])] };
  });
}

/** Every node downstream of the given ones (through from and needs), the given ones included. */
export function downstreamOf(tree: ResolvedTree, roots: Iterable<string>): Set<string> {
  const out = new Set(roots);
  for (const job of jobsOf(tree)) if (job.deps.some((d) => out.has(d))) out.add(job.name);
  return out;
}

// The scheduler's view of a tree: each node with what it waits for (its parent and its needs),
// in topological order.
import type { ResolvedTree } from '../config/types.js';
import { buildTreeGraph, topologicalOrder } from '../graph/tree-graph.js';
import type { Job } from './scheduler.js';

export function jobsOf(tree: ResolvedTree): Job[] {
  // The loader already ordered the tree; hand-made trees (tests) may not carry the order.
  const order = tree.order ?? topologicalOrder(buildTreeGraph(tree.nodes.values()));
  return order.map((name) => {
    const node = tree.nodes.get(name)!;
    return { name, deps: [...new Set([...(node.from ? [node.from] : []), ...node.needs])] };
  });
}

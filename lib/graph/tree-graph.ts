// The tree as a DAG: an edge parent -> child for `from` and need -> node for `needs`, so every
// edge points from what must be built first to what depends on it.
import { Graph, alg } from '@dagrejs/graphlib';

export interface NodeEdges {
  name: string;
  from?: string;
  needs: readonly string[];
}

export type EdgeKind = 'from' | 'needs';

/** Edges to unknown nodes are left out: the loader reports those names itself. */
export function buildTreeGraph(nodes: Iterable<NodeEdges>): Graph {
  const g = new Graph({ directed: true });
  const list = [...nodes];
  for (const n of list) g.setNode(n.name, n);
  for (const n of list) {
    for (const need of n.needs) if (g.hasNode(need)) g.setEdge(need, n.name, 'needs' satisfies EdgeKind);
    if (n.from !== undefined && g.hasNode(n.from)) g.setEdge(n.from, n.name, 'from' satisfies EdgeKind);
  }
  return g;
}

/** Each cycle as a closed path in dependency order, e.g. ["a", "b", "c", "a"]. */
export function findCycles(g: Graph): string[][] {
  const out: string[][] = [];
  for (const scc of alg.tarjan(g)) {
    const members = new Set(scc);
    if (scc.length === 1 && !g.hasEdge(scc[0], scc[0])) continue;
    // Tarjan gives the members unordered; walk inside the component to print a real cycle.
    const start = [...g.nodes()].find((n) => members.has(n)) as string;
    out.push(closedPath(g, start, members));
  }
  return out;
}

function closedPath(g: Graph, start: string, members: Set<string>): string[] {
  const path = [start];
  const onPath = new Map([[start, 0]]);
  let cur = start;
  for (;;) {
    const next = (g.successors(cur) ?? []).filter((s) => members.has(s)).sort()[0] as string;
    const seenAt = onPath.get(next);
    if (seenAt !== undefined) return [...path.slice(seenAt), next];
    onPath.set(next, path.length);
    path.push(next);
    cur = next;
  }
}

export function formatCycle(cycle: readonly string[]): string {
  return cycle.join(' -> ');
}

/**
 * Topological order, stable: among nodes ready at the same time, the one inserted first (file
 * order) comes first. Throws on a cycle; the loader reports cycles before anyone gets here.
 */
export function topologicalOrder(g: Graph): string[] {
  const indeg = new Map(g.nodes().map((n) => [n, (g.predecessors(n) ?? []).length]));
  const rank = new Map(g.nodes().map((n, i) => [n, i]));
  const ready = g.nodes().filter((n) => indeg.get(n) === 0);
  const order: string[] = [];
  while (ready.length) {
    ready.sort((a, b) => (rank.get(a) as number) - (rank.get(b) as number));
    const n = ready.shift() as string;
    order.push(n);
    for (const s of g.successors(n) ?? []) {
      const d = (indeg.get(s) as number) - 1;
      indeg.set(s, d);
      if (d === 0) ready.push(s);
    }
  }
  if (order.length !== g.nodeCount()) throw new Error(`tree graph has a cycle: ${findCycles(g).map(formatCycle).join('; ')}`);
  return order;
}

/** The given nodes and everything downstream of them (for --rebuild), in topological order. */
export function downstreamOf(g: Graph, names: readonly string[]): string[] {
  const hit = new Set(alg.preorder(g, names as string[]));
  return topologicalOrder(g).filter((n) => hit.has(n));
}

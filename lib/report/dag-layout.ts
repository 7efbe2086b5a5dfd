// A small layered layout for a tree's DAG: each node in the column after its deepest dependency,
// rows ordered by the mean row of what they depend on (one barycenter pass), so fan-outs and
// fan-ins read left to right without crossings in the usual tree shapes.
import type { RunGraphNode } from '../events/events.js';

export interface Placed {
  node: string;
  col: number;
  row: number;
}
export interface Edge {
  from: string;
  to: string;
  kind: 'from' | 'needs';
}

export function edgesOf(graph: readonly RunGraphNode[]): Edge[] {
  const known = new Set(graph.map((g) => g.node));
  const edges: Edge[] = [];
  for (const g of graph) {
    if (g.from && known.has(g.from)) edges.push({ from: g.from, to: g.node, kind: 'from' });
    for (const n of g.needs) if (known.has(n)) edges.push({ from: n, to: g.node, kind: 'needs' });
  }
  return edges;
}

/** `graph` must be in dependency order (as run-start records it). */
export function layoutDag(graph: readonly RunGraphNode[]): Placed[] {
  const deps = new Map(graph.map((g) => [g.node, [...(g.from ? [g.from] : []), ...g.needs]]));
  const col = new Map<string, number>();
  for (const g of graph) {
    const ds = (deps.get(g.node) ?? []).filter((d) => col.has(d));
    col.set(g.node, ds.length ? Math.max(...ds.map((d) => col.get(d)!)) + 1 : 0);
  }
  const row = new Map<string, number>();
  const columns = Math.max(0, ...col.values()) + 1;
  for (let c = 0; c < columns; c++) {
    const members = graph
      .filter((g) => col.get(g.node) === c)
      .map((g, i) => {
        const ds = (deps.get(g.node) ?? []).filter((d) => row.has(d));
        const bary = ds.length ? ds.reduce((a, d) => a + row.get(d)!, 0) / ds.length : i;
        return { node: g.node, bary, i };
      });
    members.sort((a, b) => a.bary - b.bary || a.i - b.i);
    members.forEach((m, r) => row.set(m.node, r));
  }
  return graph.map((g) => ({ node: g.node, col: col.get(g.node)!, row: row.get(g.node)! }));
}

// The DAG as inline SVG: one box per node colored by its outcome, solid arrows for `from`,
// dashed for `needs`; each box links to the node's section of the report.
import type { RunGraphNode } from '../events/events.js';
import { edgesOf, layoutDag } from './dag-layout.js';
import { clip, esc, FILL, type FillKey } from './svg.js';

const W = 170;
const H = 46;
const GAP_X = 60;
const GAP_Y = 18;
const PAD = 10;

export interface DagNodeLook {
  fill: FillKey;
  subtitle: string;
}

export function renderDagSvg(graph: readonly RunGraphNode[], look: (node: string) => DagNodeLook): string {
  const placed = layoutDag(graph);
  const at = new Map(placed.map((p) => [p.node, { x: PAD + p.col * (W + GAP_X), y: PAD + p.row * (H + GAP_Y) }]));
  const width = PAD * 2 + (Math.max(0, ...placed.map((p) => p.col)) + 1) * (W + GAP_X) - GAP_X;
  const height = PAD * 2 + (Math.max(0, ...placed.map((p) => p.row)) + 1) * (H + GAP_Y) - GAP_Y;
  const edges = edgesOf(graph).map((e) => {
    const a = at.get(e.from)!;
    const b = at.get(e.to)!;
    const [x1, y1, x2, y2] = [a.x + W, a.y + H / 2, b.x, b.y + H / 2];
    const mx = (x1 + x2) / 2;
    const dash = e.kind === 'needs' ? ' stroke-dasharray="5 4"' : '';
    return `<path class="edge ${e.kind}" d="M${x1},${y1} C${mx},${y1} ${mx},${y2} ${x2 - 6},${y2}" fill="none" stroke="#607d8b" stroke-width="1.5"${dash} marker-end="url(#arrow)"/>`;
  });
  const boxes = placed.map((p) => {
    const { x, y } = at.get(p.node)!;
    const l = look(p.node);
    return (
      `<a href="#node-${esc(p.node)}"><g class="dag-node" data-node="${esc(p.node)}">` +
      `<title>${esc(p.node)}: ${esc(l.subtitle)}</title>` +
      `<rect x="${x}" y="${y}" width="${W}" height="${H}" rx="7" fill="${FILL[l.fill]}" stroke="#37474f" stroke-width="1"/>` +
      `<text x="${x + W / 2}" y="${y + 19}" text-anchor="middle" font-weight="600" font-size="13">${esc(clip(p.node, 22))}</text>` +
      `<text x="${x + W / 2}" y="${y + 36}" text-anchor="middle" font-size="11">${esc(clip(l.subtitle, 28))}</text></g></a>`
    );
  });
  return (
    `<svg class="dag" xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" font-family="sans-serif">` +
    '<defs><marker id="arrow" viewBox="0 0 10 10" refX="4" refY="5" markerWidth="7" markerHeight="7" orient="auto-start-reverse">' +
    '<path d="M0,0 L10,5 L0,10 z" fill="#607d8b"/></marker></defs>' +
    `${edges.join('')}${boxes.join('')}</svg>`
  );
}

// The run's timeline as inline SVG: one lane per node, a bar per step from its start to its end,
// so branches that ran at once show as overlapping bars in different lanes. Cache hits are
// diamonds (they take no time); a node's whole span is a thin line under its steps.
import type { NodeView, RunView } from '../events/progress-state.js';
import { clip, esc, FILL } from './svg.js';

const LABEL_W = 150;
const LANE_H = 28;
const PLOT_W = 880;
const AXIS_H = 24;

function ticks(totalMs: number): number[] {
  const steps = [100, 250, 500, 1000, 2000, 5000, 10_000, 15_000, 30_000, 60_000, 120_000, 300_000, 600_000, 1_800_000, 3_600_000];
  const step = steps.find((s) => totalMs / s <= 10) ?? Math.ceil(totalMs / 10);
  const out: number[] = [];
  for (let t = 0; t <= totalMs; t += step) out.push(t);
  return out;
}

const label = (ms: number) => (ms >= 60_000 ? `${(ms / 60_000).toFixed(ms % 60_000 ? 1 : 0)}m` : `${(ms / 1000).toFixed(ms % 1000 ? 1 : 0)}s`);

export function renderTimelineSvg(run: RunView, nodes: readonly NodeView[]): string {
  const t0 = run.started ?? Math.min(...nodes.flatMap((n) => n.steps.map((s) => s.started ?? Infinity)));
  const end = run.ended ?? Math.max(t0 + 1, ...nodes.flatMap((n) => n.steps.map((s) => s.ended ?? 0)));
  const total = Math.max(1, end - t0);
  const x = (t: number) => LABEL_W + ((t - t0) / total) * PLOT_W;
  const height = AXIS_H + nodes.length * LANE_H + 6;
  const width = LABEL_W + PLOT_W + 20;
  const grid = ticks(total).map(
    (t) =>
      `<line x1="${x(t0 + t)}" y1="${AXIS_H - 4}" x2="${x(t0 + t)}" y2="${height}" stroke="#eceff1"/>` +
      `<text x="${x(t0 + t)}" y="${AXIS_H - 8}" font-size="10" text-anchor="middle" fill="#546e7a">${label(t)}</text>`,
  );
  const lanes = nodes.map((n, i) => {
    const y = AXIS_H + i * LANE_H;
    const parts = [`<text x="${LABEL_W - 8}" y="${y + 18}" font-size="12" text-anchor="end">${esc(clip(n.node, 20))}</text>`];
    if (n.started !== undefined && n.ended !== undefined) {
      parts.push(`<line x1="${x(n.started)}" y1="${y + 25}" x2="${x(n.ended)}" y2="${y + 25}" stroke="#90a4ae" stroke-width="2"/>`);
    }
    if (n.status === 'skipped' || (n.status === 'failed' && !n.steps.some((s) => s.started !== undefined))) {
      parts.push(
        `<text x="${LABEL_W + 6}" y="${y + 18}" font-size="11" fill="#757575">${esc(`${n.status}${n.message ? `: ${clip(n.message.split('\n')[0], 90)}` : ''}`)}</text>`,
      );
    }
    for (const s of n.steps) {
      if (s.started === undefined) continue;
      const title = `<title>${esc(`${n.node}:${s.step} ${s.status}${s.ended !== undefined ? ` ${((s.ended - s.started) / 1000).toFixed(2)}s` : ''}`)}</title>`;
      if (s.status === 'cached') {
        const cx = x(s.started);
        parts.push(`<path class="bar cached" d="M${cx},${y + 6} l6,7 l-6,7 l-6,-7 z" fill="${FILL.cached}" stroke="#1e88e5">${title}</path>`);
        continue;
      }
      const x1 = x(s.started);
      const w = Math.max(2, x(s.ended ?? end) - x1);
      parts.push(
        `<rect class="bar ${s.status}" x="${x1}" y="${y + 4}" width="${w}" height="18" rx="3" fill="${FILL[s.status]}" stroke="#37474f" stroke-width="0.5">${title}</rect>`,
      );
      if (w > 40) parts.push(`<text x="${x1 + 4}" y="${y + 17}" font-size="10" fill="#102027">${esc(clip(s.step, Math.floor(w / 6)))}</text>`);
    }
    return `<g class="lane" data-node="${esc(n.node)}">${parts.join('')}</g>`;
  });
  return `<svg class="timeline" xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" font-family="sans-serif">${grid.join('')}${lanes.join('')}</svg>`;
}

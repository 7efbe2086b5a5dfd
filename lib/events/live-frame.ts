// The redrawn part of the live view: one line per running node with its steps marked (cached,
// done, running, pending), the running step's elapsed time and its last output line, then a
// status line. Pure: the same run view, clock and width give the same lines.
import { fit, type Palette, seconds } from './color.js';
import type { NodeView, RunView, StepStatus } from './progress-state.js';

const SPINNER = ['⠋', '⠙', '⠹', '⠸', '⠼', '⠴', '⠦', '⠧', '⠇', '⠏'];

export const GLYPH: Record<StepStatus, string> = { pending: '·', running: '▶', done: '✔', cached: '◆', failed: '✖' };

export function colorOf(status: StepStatus | NodeView['status'], p: Palette): (s: string) => string {
  switch (status) {
    case 'done':
      return p.green;
    case 'cached':
      return p.blue;
    case 'failed':
      return p.red;
    case 'running':
      return p.yellow;
    case 'skipped':
      return p.yellow;
    case 'pending':
      return p.dim;
    default: {
      const never: never = status;
      return never;
    }
  }
}

export interface FrameOptions {
  now: number;
  width: number;
  palette: Palette;
}

type Segment = [text: string, paint: (s: string) => string];

/** Joins colored segments, cutting at `width` columns; color is applied after cutting. */
function fitSegments(segments: Segment[], width: number): string {
  let left = width;
  let out = '';
  for (const [text, paint] of segments) {
    if (left <= 0) break;
    const piece = fit(text, left);
    out += paint(piece);
    left -= [...piece].length;
  }
  return out;
}

function nodeLine(n: NodeView, o: FrameOptions): string {
  const p = o.palette;
  const running = n.steps.find((s) => s.status === 'running');
  const since = running?.started ?? n.started ?? o.now;
  const spin = SPINNER[Math.floor(o.now / 100) % SPINNER.length];
  const segments: Segment[] = [
    [`${spin} `, p.yellow],
    [n.node, p.bold],
    [n.engine ? ` @${n.engine}${n.route === 'emulated' ? '(emulated)' : ''}` : '', p.dim],
    [' ', String],
  ];
  for (const s of n.steps) segments.push([` ${GLYPH[s.status]}${s.step}`, colorOf(s.status, p)]);
  segments.push([`  ${seconds(Math.max(0, o.now - since))}`, String]);
  const last = running?.lastLine?.trim();
  if (last) segments.push([`  │ ${last}`, p.dim]);
  return fitSegments(segments, Math.max(10, o.width - 1));
}

export function statusLine(run: RunView, now: number, p: Palette, width = Infinity): string {
  const nodes = [...run.nodes.values()];
  const finished = nodes.filter((n) => n.status !== 'pending' && n.status !== 'running').length;
  const steps = nodes.flatMap((n) => n.steps);
  const count = (s: StepStatus) => steps.filter((x) => x.status === s).length;
  const parts: Segment[] = [
    [`${finished}/${nodes.length} nodes · ${count('running')} running · ${count('done')} ran · ${count('cached')} cached · `, p.dim],
    ...(count('failed') ? [[`${count('failed')} failed · `, p.red] as Segment] : []),
    [seconds(Math.max(0, now - (run.started ?? now))), p.dim],
  ];
  return fitSegments(parts, width);
}

export function renderFrame(run: RunView, o: FrameOptions): string[] {
  const running = [...run.nodes.values()].filter((n) => n.status === 'running');
  return [...running.map((n) => nodeLine(n, o)), statusLine(run, o.now, o.palette, Math.max(10, o.width - 1))];
}

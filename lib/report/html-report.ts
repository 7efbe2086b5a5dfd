// One self-contained HTML page per run (inline CSS and SVG, no scripts, nothing fetched): the
// DAG colored by outcome, a timeline of node and step durations, and every node with its steps,
// why each ran, how long it took and a link to its log.
import { describeChange } from '../cache/key-diff.js';
import type { RunGraphNode } from '../events/events.js';
import { type NodeView, pullOrigin, type RunView, type StepView } from '../events/progress-state.js';
import { renderDagSvg } from './dag-svg.js';
import { renderTimelineSvg } from './timeline-svg.js';
import { esc } from './svg.js';

export interface ReportOptions {
  /** Relative URL of a step's log from the report, when the run has one. */
  logHref(node: string, step: StepView): string | undefined;
}

const dur = (a?: number, b?: number) => (a !== undefined && b !== undefined ? `${((b - a) / 1000).toFixed(2)}s` : '');

const CSS = `
body{font-family:sans-serif;margin:24px;color:#212121;background:#fafafa}
h1{font-size:22px;margin:0 0 4px} h2{font-size:17px;margin:26px 0 8px}
.meta{color:#546e7a;margin-bottom:6px} .badge{display:inline-block;padding:2px 10px;border-radius:10px;color:#fff;font-weight:600}
.ok{background:#43a047} .bad{background:#e53935}
.scroll{overflow-x:auto;background:#fff;border:1px solid #e0e0e0;border-radius:6px;padding:8px}
table{border-collapse:collapse;background:#fff;margin:4px 0 14px} td,th{border:1px solid #e0e0e0;padding:4px 8px;text-align:left;font-size:13px;vertical-align:top}
th{background:#eceff1} .s-done{color:#2e7d32} .s-cached{color:#1565c0} .s-failed{color:#c62828;font-weight:600} .s-skipped,.s-pending{color:#757575}
.node h3{font-size:15px;margin:14px 0 4px} pre{background:#263238;color:#eceff1;padding:8px;border-radius:4px;overflow-x:auto;font-size:12px}
.legend span{display:inline-block;margin-right:14px;font-size:12px} .legend i{display:inline-block;width:12px;height:12px;border-radius:3px;margin-right:4px;vertical-align:-2px}
`;

function graphOf(run: RunView): RunGraphNode[] {
  return [...run.nodes.values()].map((n) => n.graph ?? { node: n.node, needs: [], steps: n.steps.map((s) => s.step), platform: '' });
}

function origin(s: StepView): string {
  const pulled = pullOrigin(s);
  return pulled ? ` (${esc(pulled)})` : '';
}

function stepRow(n: NodeView, s: StepView, opts: ReportOptions): string {
  const why = s.reasons.map(describeChange).join(', ');
  const href = opts.logHref(n.node, s);
  const log = href ? `<a href="${esc(href)}">log</a>` : '';
  const exit = s.exitCode !== undefined ? ` (exit ${s.exitCode})` : '';
  return (
    `<tr class="step" data-step="${esc(s.step)}"><td>${esc(s.step)}</td><td class="s-${s.status}">${s.status}${origin(s)}${exit}</td>` +
    `<td>${s.status === 'cached' ? '' : dur(s.started, s.ended)}</td><td>${esc(why)}</td><td>${log}</td></tr>`
  );
}

function nodeSection(n: NodeView, opts: ReportOptions): string {
  const g = n.graph;
  const on = n.engine ? `on engine ${esc(n.engine)}${n.route === 'emulated' ? ' (emulated)' : ''}` : '';
  const rel = [g?.from ? `from ${esc(g.from)}` : '', g?.needs.length ? `needs ${esc(g.needs.join(', '))}` : '', g?.platform ? esc(g.platform) : '', on]
    .filter(Boolean)
    .join(' · ');
  return (
    `<div class="node" id="node-${esc(n.node)}" data-node="${esc(n.node)}">` +
    `<h3>${esc(n.node)} <span class="s-${n.status}">${n.status}</span> <small>${dur(n.started, n.ended)}</small></h3>` +
    (rel ? `<div class="meta">${rel}</div>` : '') +
    (n.message ? `<pre>${esc(n.message)}</pre>` : '') +
    (n.steps.length
      ? `<table><tr><th>step</th><th>outcome</th><th>took</th><th>why it ran</th><th>log</th></tr>${n.steps.map((s) => stepRow(n, s, opts)).join('')}</table>`
      : '') +
    '</div>'
  );
}

function nodeFill(n: NodeView | undefined) {
  return n?.status ?? 'pending';
}

export function renderReport(run: RunView, opts: ReportOptions): string {
  const nodes = [...run.nodes.values()];
  const c = run.counts;
  const title = `stalker ${run.tree ?? ''} run ${run.run ?? ''}`;
  const outcome =
    run.ok === undefined
      ? '<span class="badge bad">unfinished</span>'
      : run.ok
        ? '<span class="badge ok">succeeded</span>'
        : '<span class="badge bad">failed</span>';
  const counts = c ? `${c.ran} ran · ${c.cached} cached · ${c.failed} failed · ${c.skipped} skipped · ${nodes.length} nodes` : `${nodes.length} nodes`;
  const dag = renderDagSvg(graphOf(run), (name) => {
    const n = run.nodes.get(name);
    const steps = n?.steps ?? [];
    const hits = steps.filter((s) => s.status === 'cached').length;
    const sub =
      n?.status === 'skipped'
        ? 'skipped'
        : n?.status === 'cached'
          ? `cached (${hits} step${hits === 1 ? '' : 's'})`
          : `${nodeFill(n)}${hits ? ` · ${hits}/${steps.length} cached` : ''} ${dur(n?.started, n?.ended)}`;
    return { fill: nodeFill(n), subtitle: sub.trim() };
  });
  const legend = (['done', 'cached', 'failed', 'skipped', 'running'] as const)
    .map(
      (k) =>
        `<span><i style="background:${{ done: '#4caf50', cached: '#64b5f6', failed: '#e53935', skipped: '#bdbdbd', running: '#ffb300' }[k]}"></i>${k}</span>`,
    )
    .join('');
  return `<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>${esc(title)}</title><style>${CSS}</style></head>
<body>
<h1>${esc(run.tree ?? 'tree')} <small>run ${esc(run.run ?? '')}</small> ${outcome}</h1>
<div class="meta">${run.started ? esc(new Date(run.started).toISOString()) : ''} · took ${dur(run.started, run.ended) || '?'} · ${counts}${run.jobs ? ` · ${run.jobs} jobs` : ''}${run.interrupted ? ` · interrupted by ${esc(run.interrupted)}` : ''}</div>
${run.warnings.map((w) => `<div class="meta s-failed">shared cache: ${esc(w)}</div>`).join('')}
<div class="legend">${legend}</div>
<h2>DAG</h2><div class="scroll">${dag}</div>
<h2>Timeline</h2><div class="scroll">${renderTimelineSvg(run, nodes)}</div>
<h2>Nodes</h2>
${nodes.map((n) => nodeSection(n, opts)).join('\n')}
</body></html>
`;
}

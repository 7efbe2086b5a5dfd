// The plan as text: nodes in DAG order with where they start from, then each step's state
// (cached, will run, blocked) and why: which key part changed, or what it waits for.
import { describeChange } from '../cache/key-diff.js';
import { NO_COLORS, type Palette } from '../events/color.js';
import type { ResolvedTree } from '../config/types.js';
import type { PlannedNode, PlannedStep } from './plan.js';

const MARK = { cached: '◆', run: '▶', blocked: '·' } as const;

export function stepReason(s: PlannedStep): string {
  if (s.state === 'blocked') return s.waitsFor ? `behind blocked step ${s.waitsFor}` : (s.note ?? '');
  const parts = s.reasons.map(describeChange);
  if (s.note) parts.push(s.note);
  return parts.join(', ');
}

const short = (id: string | undefined) => (id ?? '').replace(/^sha256:/, '').slice(0, 12);

/** A local hit names its image; a remote one says it will be pulled, and by which digest. */
function cachedText(s: PlannedStep): string {
  if (s.source === 'registry') return `cached in registry ${short(s.digest)} (pull)`;
  return `cached ${short(s.image)}${s.pulledFrom ? ` (pulled from ${s.pulledFrom})` : ''}`;
}

export function planCounts(plan: readonly PlannedNode[]) {
  const steps = plan.flatMap((p) => p.steps);
  const n = (state: PlannedStep['state']) => steps.filter((s) => s.state === state).length;
  const remote = steps.filter((s) => s.state === 'cached' && s.source === 'registry').length;
  return { nodes: plan.length, steps: steps.length, cached: n('cached'), remote, run: n('run'), blocked: n('blocked') };
}

function nodeHeader(tree: ResolvedTree, planned: PlannedNode): string {
  const name = planned.node;
  const node = tree.nodes.get(name);
  if (!node) return name;
  const origin = node.bootstrap ? `root (${node.bootstrap.kind})` : node.from ? `from ${node.from}` : '';
  const on = planned.engine ? `on engine ${planned.engine}${planned.route === 'emulated' ? ' (emulated)' : ''}` : '';
  const bits = [origin, node.needs.length ? `needs ${node.needs.join(', ')}` : '', node.writer ? 'writer' : '', node.platform, on];
  return `${name}  ${bits.filter(Boolean).join(' · ')}`;
}

export function formatPlan(tree: ResolvedTree, plan: readonly PlannedNode[], p: Palette = NO_COLORS): string[] {
  const c = planCounts(plan);
  const lines = [
    p.bold(
      `plan of tree ${tree.name} (repository ${tree.repository}): ${c.nodes} nodes, ${c.steps} steps — ` +
        `${c.cached} cached${c.remote ? ` (${c.remote} in registry)` : ''}, ${c.run} will run, ${c.blocked} blocked`,
    ),
  ];
  const width = Math.max(4, ...plan.flatMap((n) => n.steps.map((s) => s.step.length)));
  for (const node of plan) {
    lines.push(p.bold(nodeHeader(tree, node)));
    for (const s of node.steps) {
      const paint = s.state === 'cached' ? p.blue : s.state === 'run' ? p.yellow : p.dim;
      const state = s.state === 'cached' ? cachedText(s) : s.state === 'run' ? 'will run' : 'blocked';
      const why = stepReason(s);
      lines.push(`  ${paint(`${MARK[s.state]} ${s.step.padEnd(width)}  ${state}`)}${why ? `: ${why}` : ''}`);
    }
  }
  return lines;
}

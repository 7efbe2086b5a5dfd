// The tree's DAG in Graphviz DOT, each node filled by its cache state from the plan (all cached,
// something will run, blocked behind upstream work), solid edges for `from`, dashed for `needs`.
import type { ResolvedTree } from '../config/types.js';
import { ExecError, StalkerError } from '../errors.js';
import { exec } from '../util/exec.js';
import type { PlannedNode } from '../plan/plan.js';
import { stepReason } from '../plan/plan-format.js';

export type NodeState = 'cached' | 'run' | 'blocked';

export const STATE_COLOR: Record<NodeState, string> = { cached: '#90caf9', run: '#ffcc80', blocked: '#e0e0e0' };

export function nodeState(p: PlannedNode): NodeState {
  if (p.steps.some((s) => s.state === 'run')) return 'run';
  if (p.steps.some((s) => s.state === 'blocked')) return 'blocked';
  return 'cached';
}

const q = (s: string) => `"${s.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n')}"`;

export function toDot(tree: ResolvedTree, plan: readonly PlannedNode[]): string {
  const lines = [
    `digraph ${q(tree.name)} {`,
    '  rankdir=LR;',
    '  node [shape=box, style="rounded,filled", fontname="sans-serif", fontsize=11];',
    '  edge [color="#607d8b"];',
  ];
  for (const p of plan) {
    const state = nodeState(p);
    const count = (s: NodeState) => p.steps.filter((x) => x.state === s).length;
    const summary = [
      count('cached') && `${count('cached')} cached`,
      count('run') && `${count('run')} to run`,
      count('blocked') && `${count('blocked')} blocked`,
    ]
      .filter(Boolean)
      .join(', ');
    const tooltip = p.steps.map((s) => `${s.step}: ${s.state}${stepReason(s) ? ` (${stepReason(s)})` : ''}`).join('\n');
    lines.push(
      `  ${q(p.node)} [label=${q(`${p.node}\n${summary || 'no steps'}`)}, fillcolor=${q(STATE_COLOR[state])}, tooltip=${q(tooltip)}, class=${q(state)}];`,
    );
  }
  for (const p of plan) {
    const node = tree.nodes.get(p.node);
    if (!node) continue;
    if (node.from) lines.push(`  ${q(node.from)} -> ${q(p.node)};`);
    for (const n of node.needs) lines.push(`  ${q(n)} -> ${q(p.node)} [style=dashed];`);
  }
  lines.push('  subgraph cluster_legend { label="cache state"; fontsize=10; style=dashed;');
  for (const s of Object.keys(STATE_COLOR) as NodeState[]) {
    lines.push(`    ${q(`legend_${s}`)} [label=${q(s === 'run' ? 'will run' : s)}, fillcolor=${q(STATE_COLOR[s])}, fontsize=9];`);
  }
  lines.push('  }', '}');
  return `${lines.join('\n')}\n`;
}

/** Renders DOT with Graphviz's `dot` (Debian package graphviz). */
export async function dotToSvg(dot: string): Promise<string> {
  try {
    return (await exec('dot', ['-Tsvg'], { input: dot, keep: 64 * 1024 * 1024 })).stdout;
  } catch (err) {
    if (!(err instanceof ExecError)) throw err;
    if (err.exitCode === null) throw new StalkerError('NOT_FOUND', `graphviz dot is not installed (apt-get install graphviz): ${err.message}`, { cause: err });
    throw new StalkerError('USAGE', `dot exited with ${err.exitCode}: ${err.stderrTail.join('\n')}`, { cause: err });
  }
}

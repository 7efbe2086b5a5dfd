// The steps a node shows to a user, in order: its bootstrap (root nodes), its stalk's steps, and
// the write step of a writer node. Logs, shells, reports and the plan all name steps this way.
import type { ResolvedNode, ResolvedTree } from '../config/types.js';
import type { RunGraphNode } from '../events/events.js';
import { BOOTSTRAP_STEP } from './bootstrap-step.js';
import { jobsOf } from './jobs.js';
import { WRITE_STEP } from './writer-step.js';

export function stepNamesOf(node: ResolvedNode): string[] {
  return [...(node.bootstrap ? [BOOTSTRAP_STEP] : []), ...node.steps.map((s) => s.name), ...(node.writer ? [WRITE_STEP] : [])];
}

/** The tree's DAG in dependency order, as recorded in the run-start event. */
export function runGraphOf(tree: ResolvedTree): RunGraphNode[] {
  return jobsOf(tree).map(({ name }) => {
    const n = tree.nodes.get(name)!;
    return { node: name, ...(n.from ? { from: n.from } : {}), needs: [...n.needs], steps: stepNamesOf(n), platform: n.platform };
  });
}

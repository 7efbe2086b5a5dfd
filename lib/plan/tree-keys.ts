// Every step of a tree with its key, from the config alone: keys chain (a step hashes its parent
// step's key; a needing step the needed nodes' final keys), so nothing is asked of an engine and
// the keys are the same on every engine with the same executor. The plan and the build both walk
// this list; the next step of a node starts from the image of the one before.
import { cacheKey, type BootstrapKeyParts, type StepKeyParts, type WriterKeyParts } from '../cache/cache-key.js';
import type { Bootstrap, ResolvedStep, ResolvedTree } from '../config/types.js';
import { StalkerError } from '../errors.js';
import { BOOTSTRAP_STEP, bootstrapKeyParts } from './bootstrap-step.js';
import { jobsOf } from './jobs.js';
import { executorPart, stepKeyParts } from './script-step.js';
import { WRITE_STEP, writerKeyParts, writerOutput } from './writer-step.js';

interface Keyed {
  node: string;
  step: string;
  key: string;
}

export type KeyedStep =
  | (Keyed & { kind: 'bootstrap'; bootstrap: Bootstrap; parts: BootstrapKeyParts })
  | (Keyed & { kind: 'script'; config: ResolvedStep; parts: StepKeyParts })
  | (Keyed & { kind: 'writer'; output: string; parts: WriterKeyParts });

export interface NodeKeys {
  node: string;
  steps: KeyedStep[];
  /** The key of the image children and needing nodes start from (a writer node's: its input's). */
  final: string;
}

export function treeKeys(tree: ResolvedTree, engineExecutor: string): Map<string, NodeKeys> {
  const executor = executorPart(engineExecutor);
  const out = new Map<string, NodeKeys>();
  for (const { name } of jobsOf(tree)) {
    const node = tree.nodes.get(name)!;
    const steps: KeyedStep[] = [];
    let key: string;
    if (node.bootstrap) {
      const parts = bootstrapKeyParts(node, node.bootstrap);
      key = cacheKey(parts);
      steps.push({ kind: 'bootstrap', node: name, step: BOOTSTRAP_STEP, key, bootstrap: node.bootstrap, parts });
    } else if (node.from) {
      key = out.get(node.from)!.final;
    } else {
      throw new StalkerError('CONFIG_INVALID', `node ${name} has neither bootstrap nor from`);
    }
    if (node.writer) {
      // A writer's result is a file: its final stays the root filesystem it writes.
      const parts = writerKeyParts(tree, node, key);
      steps.push({ kind: 'writer', node: name, step: WRITE_STEP, key: cacheKey(parts), output: writerOutput(tree, node), parts });
      out.set(name, { node: name, steps, final: key });
      continue;
    }
    const needs = Object.fromEntries(node.needs.map((n) => [n, out.get(n)!.final]));
    for (const step of node.steps) {
      const parts = stepKeyParts(step, key, node.platform, needs, executor);
      key = cacheKey(parts);
      steps.push({ kind: 'script', node: name, step: step.name, key, config: step, parts });
    }
    out.set(name, { node: name, steps, final: key });
  }
  return out;
}

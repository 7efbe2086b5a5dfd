// `<node>[:<step>]` as a user names it, turned into the image stalker tagged for it: the step's
// tag, the node's final tag, or with `failed` the kept state of a failed step.
import type { ResolvedNode, ResolvedStep, ResolvedTree } from '../config/types.js';
import type { Engine, ImageDetails } from '../engine/engine-port.js';
import { LABEL } from '../engine/labels.js';
import { StalkerError } from '../errors.js';
import { stepNamesOf } from '../plan/node-steps.js';
import { failedTag, FINAL_TAG, imageRef, repoOf } from '../engine/image-names.js';

export interface ImageTarget {
  node: ResolvedNode;
  step?: string; // the step named, or the one the failed image came from
  ref: string; // repo:tag
  image: ImageDetails;
  /** The stalk step whose env and mounts a shell gets (the named one, else the node's last). */
  stepConfig?: ResolvedStep;
}

export function parseTarget(tree: ResolvedTree, target: string | undefined, usage: string): { node: ResolvedNode; step?: string } {
  if (!target) throw new StalkerError('USAGE', usage);
  const [name, step] = target.split(':');
  const node = tree.nodes.get(name);
  if (!node) throw new StalkerError('USAGE', `no node ${name} in tree ${tree.name} (nodes: ${[...tree.nodes.keys()].join(', ')})`);
  const steps = stepNamesOf(node);
  if (step && !steps.includes(step)) throw new StalkerError('USAGE', `node ${name} has no step ${step} (steps: ${steps.join(', ')})`);
  return { node, step };
}

async function newestFailed(engine: Engine, tree: ResolvedTree, node: string): Promise<string | undefined> {
  const images = await engine.images.list({ [LABEL.tree]: tree.name, [LABEL.node]: node, [LABEL.failed]: 'true' });
  const tagged = images.filter((i) => i.tags.some((t) => t.startsWith(imageRef(tree.repository, node, failedTag(''))))).sort((a, b) => b.created - a.created);
  return tagged[0]?.labels[LABEL.step];
}

export async function resolveImage(
  engine: Engine,
  tree: ResolvedTree,
  target: string | undefined,
  opts: { failed?: boolean; usage: string },
): Promise<ImageTarget> {
  const { node, step: named } = parseTarget(tree, target, opts.usage);
  const repo = repoOf(tree.repository, node.name);
  let step = named;
  if (opts.failed && !step) {
    step = await newestFailed(engine, tree, node.name);
    if (!step) throw new StalkerError('NOT_FOUND', `node ${node.name} has no kept failed state: none of its steps failed since it was last cleaned up`);
  }
  const tag = opts.failed ? failedTag(step!) : (step ?? FINAL_TAG);
  const ref = `${repo}:${tag}`;
  const image = await engine.images.inspect(ref);
  if (!image) {
    const hint = opts.failed
      ? `step ${node.name}:${step} has no kept failed state`
      : `${node.name}${step ? `:${step}` : ''} has not been built yet (run stalker --config ${tree.file})`;
    throw new StalkerError('NOT_FOUND', `no image ${ref}: ${hint}`);
  }
  const stepConfig = step ? node.steps.find((s) => s.name === step) : node.steps[node.steps.length - 1];
  return { node, step, ref, image, stepConfig };
}

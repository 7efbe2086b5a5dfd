// What a build would do, without running anything: each step cached, to run (and why), or
// blocked behind an upstream step that runs first. Used by `stalker explain` and `stalker plan`.
import { cacheKey, type KeyParts } from '../cache/cache-key.js';
import type { ImageIndex } from '../cache/image-index.js';
import { diffKeyParts, type KeyChange } from '../cache/key-diff.js';
import type { ResolvedNode, ResolvedTree } from '../config/types.js';
import type { Engine } from '../engine/engine-port.js';
import { BOOTSTRAP_STEP, bootstrapKeyParts } from '../run/bootstrap.js';
import { jobsOf } from '../run/jobs.js';
import { stepKeyParts } from '../run/step-parts.js';

export type StepState = 'cached' | 'run' | 'blocked';

export interface PlannedStep {
  step: string;
  state: StepState;
  reasons: KeyChange[];
  image?: string; // the cached image when state is cached
}

export interface PlannedNode { node: string; steps: PlannedStep[] }

interface PlanInput { tree: ResolvedTree; engine: Engine; index: ImageIndex; noCache?: boolean; rebuild?: Set<string> }

export async function planTree(input: PlanInput): Promise<PlannedNode[]> {
  const finals = new Map<string, string | undefined>();
  const planned: PlannedNode[] = [];
  for (const { name } of jobsOf(input.tree)) {
    const node = input.tree.nodes.get(name)!;
    const p = await planNode(input, node, finals);
    finals.set(name, p.final);
    planned.push({ node: name, steps: p.steps });
  }
  return planned;
}

async function planNode(input: PlanInput, node: ResolvedNode, finals: Map<string, string | undefined>) {
  const repo = `${input.tree.repository}/${node.name}`;
  const skipCache = input.noCache || input.rebuild?.has(node.name);
  const steps: PlannedStep[] = [];
  const judge = (step: string, parts: KeyParts, cacheable: boolean): string | undefined => {
    const hit = cacheable && !skipCache ? input.index.lookup(cacheKey(parts)) : undefined;
    if (hit) steps.push({ step, state: 'cached', reasons: [], image: hit.id });
    else steps.push({ step, state: 'run', reasons: diffKeyParts(input.index.partsAt(`${repo}:${step}`), parts) });
    return hit?.id;
  };
  let image: string | undefined;
  if (node.bootstrap?.kind === 'image') {
    image = (await input.engine.images.inspect(node.bootstrap.ref))?.id;
    steps.push(image ? { step: BOOTSTRAP_STEP, state: 'cached', reasons: [], image } : { step: BOOTSTRAP_STEP, state: 'run', reasons: [{ part: 'bootstrap' }] });
  } else if (node.bootstrap) {
    image = judge(BOOTSTRAP_STEP, bootstrapKeyParts(node, node.bootstrap), true);
  } else if (node.from) {
    image = finals.get(node.from);
  }
  const needs: Record<string, string> = {};
  let unknownNeed: string | undefined;
  for (const n of node.needs) {
    const id = finals.get(n);
    if (id) needs[n] = id; else unknownNeed ??= n;
  }
  for (const step of node.steps) {
    if (!image || unknownNeed) {
      const reason: KeyChange = image ? { part: 'need', name: unknownNeed! } : { part: 'parent' };
      steps.push({ step: step.name, state: 'blocked', reasons: [reason] });
      image = undefined;
      continue;
    }
    image = judge(step.name, stepKeyParts(step, image, node.platform, needs), step.cache);
  }
  return { final: image, steps };
}

// What a build would do, without running anything: each step cached, to run (and why), or
// blocked behind an upstream step that runs first. Used by `stalker explain` and `stalker plan`.
import { readFile, stat } from 'node:fs/promises';
import { cacheKey, KEY_VERSION, type KeyParts, type WriterKeyParts } from '../cache/cache-key.js';
import type { ImageIndex } from '../cache/image-index.js';
import { diffKeyParts, type KeyChange } from '../cache/key-diff.js';
import type { ResolvedNode, ResolvedTree } from '../config/types.js';
import type { Engine } from '../engine/engine-port.js';
import { TOOL_VERSION } from '../engine/labels.js';
import { BOOTSTRAP_STEP, bootstrapKeyParts } from '../run/bootstrap.js';
import { jobsOf } from '../run/jobs.js';
import type { BuildContext } from '../run/build-context.js';
import { stepKeyParts } from '../run/step-parts.js';
import { WRITE_STEP, writerOutput } from '../run/writer-runner.js';

export type StepState = 'cached' | 'run' | 'blocked';

export interface PlannedStep {
  step: string;
  state: StepState;
  reasons: KeyChange[];
  image?: string; // the cached image when state is cached
  /** For a blocked step: the step (node:step) that must run first. */
  waitsFor?: string;
  /** Why it runs when no key part changed (e.g. cache skipped, output edited). */
  note?: string;
}

export interface PlannedNode { node: string; steps: PlannedStep[] }

interface PlanInput { tree: ResolvedTree; engine: Engine; index: ImageIndex; noCache?: boolean; rebuild?: Set<string> }

export async function planTree(input: PlanInput): Promise<PlannedNode[]> {
  const finals = new Map<string, string | undefined>();
  const blockers = new Map<string, string>(); // node without a known final -> the step it waits on
  const planned: PlannedNode[] = [];
  for (const { name } of jobsOf(input.tree)) {
    const node = input.tree.nodes.get(name)!;
    const p = await planNode(input, node, finals, blockers);
    finals.set(name, p.final);
    if (!p.final && p.blocker) blockers.set(name, p.blocker);
    planned.push({ node: name, steps: p.steps });
  }
  return planned;
}

async function planNode(input: PlanInput, node: ResolvedNode, finals: Map<string, string | undefined>, blockers: Map<string, string>) {
  const repo = `${input.tree.repository}/${node.name}`;
  const skipCache = input.noCache || input.rebuild?.has(node.name);
  const steps: PlannedStep[] = [];
  const judge = (step: string, parts: KeyParts, cacheable: boolean): string | undefined => {
    const hit = cacheable && !skipCache ? input.index.lookup(cacheKey(parts)) : undefined;
    if (hit) steps.push({ step, state: 'cached', reasons: [], image: hit.id });
    else {
      const reasons = diffKeyParts(input.index.partsAt(`${repo}:${step}`), parts);
      const note = !cacheable ? undefined : skipCache ? 'cache skipped (--no-cache or --rebuild)' : reasons.length ? undefined : 'no image with this key (removed or pruned)';
      steps.push({ step, state: 'run', reasons, ...(note ? { note } : {}) });
    }
    return hit?.id;
  };
  let image: string | undefined;
  let waitsFor: string | undefined; // the first step of this node or upstream that must run
  // What runs first upstream: the step a blocked node's parent or need waits on, else that node.
  const blockedBy = (n: string, step?: string) => (step ? `${n}:${step}` : blockers.get(n) ?? n);
  if (node.bootstrap?.kind === 'image') {
    image = (await input.engine.images.inspect(node.bootstrap.ref))?.id;
    steps.push(image ? { step: BOOTSTRAP_STEP, state: 'cached', reasons: [], image } : { step: BOOTSTRAP_STEP, state: 'run', reasons: [{ part: 'bootstrap' }] });
  } else if (node.bootstrap) {
    image = judge(BOOTSTRAP_STEP, bootstrapKeyParts(node, node.bootstrap), true);
  } else if (node.from) {
    image = finals.get(node.from);
    if (!image) waitsFor = blockedBy(node.from);
  }
  if (node.bootstrap && !image) waitsFor = blockedBy(node.name, BOOTSTRAP_STEP);
  const needs: Record<string, string> = {};
  let unknownNeed: string | undefined;
  for (const n of node.needs) {
    const id = finals.get(n);
    if (id) needs[n] = id; else unknownNeed ??= n;
  }
  if (image && unknownNeed) waitsFor = blockedBy(unknownNeed);
  for (const step of node.steps) {
    if (!image || unknownNeed) {
      const reason: KeyChange = image ? { part: 'need', name: unknownNeed! } : { part: 'parent' };
      steps.push({ step: step.name, state: 'blocked', reasons: [reason], waitsFor });
      image = undefined;
      continue;
    }
    image = judge(step.name, stepKeyParts(step, image, node.platform, needs), step.cache);
    if (!image) waitsFor = blockedBy(node.name, step.name);
  }
  if (node.writer) {
    // A writer's result is a file: its "final" stays the image it writes from, as in the build.
    steps.push(image ? await planWriter(input, node, image, skipCache) : { step: WRITE_STEP, state: 'blocked', reasons: [{ part: 'input' }], waitsFor });
  }
  return { final: image, steps, blocker: waitsFor };
}

/** Mirrors runWriter's key: the fingerprint beside the output says what was last written. */
async function planWriter(input: PlanInput, node: ResolvedNode, image: string, skipCache?: boolean): Promise<PlannedStep> {
  const output = writerOutput({ tree: input.tree } as BuildContext, node);
  const parts: WriterKeyParts = { v: KEY_VERSION, kind: 'writer', input: image, options: { ...(node.writer?.options ?? {}), output }, tool: TOOL_VERSION };
  let previous: { key: string; parts: WriterKeyParts; size: number; mtimeMs: number } | undefined;
  try {
    previous = JSON.parse(await readFile(`${output}.stalker.json`, 'utf8'));
    const s = await stat(output);
    if (previous && (s.size !== previous.size || Math.trunc(s.mtimeMs) !== previous.mtimeMs)) previous = { ...previous, key: '' };
  } catch {
    previous = undefined;
  }
  if (!skipCache && previous?.key === cacheKey(parts)) return { step: WRITE_STEP, state: 'cached', reasons: [], image: output };
  const reasons = diffKeyParts(previous?.parts, parts);
  if (skipCache) return { step: WRITE_STEP, state: 'run', reasons, note: 'cache skipped (--no-cache or --rebuild)' };
  return { step: WRITE_STEP, state: 'run', reasons, ...(reasons.length ? {} : { note: `${output} changed or went missing since it was written` }) };
}

// What a build will do, without running anything: each step's key and its probe, the same probe
// the build takes its decisions from. Steps behind a blocked one (e.g. an `image` bootstrap whose
// image is not in the engine) are blocked too; the build fails there and skips them.
import type { ImageIndex } from '../cache/image-index.js';
import type { KeyChange } from '../cache/key-diff.js';
import type { ResolvedTree } from '../config/types.js';
import type { Engine } from '../engine/engine-port.js';
import { LABEL } from '../engine/labels.js';
import { jobsOf } from './jobs.js';
import { forcedNodes, probeStep, type Probe, type ProbeContext } from './probe.js';
import type { Routes } from './route.js';
import { treeKeys } from './tree-keys.js';

export type StepState = 'cached' | 'run' | 'blocked';

export interface PlannedStep {
  step: string;
  state: StepState;
  key: string;
  reasons: KeyChange[];
  image?: string; // the cached image (or written file) when state is cached
  /** Where a cached step comes from: this engine, or the shared cache (pulled by this digest). */
  source?: 'local' | 'registry';
  digest?: string;
  /** A local hit pulled from the shared cache before: the registry reference (its labels say so). */
  pulledFrom?: string;
  /** For a step behind a blocked one: that step (node:step). */
  waitsFor?: string;
  /** Why it runs when no key part changed (e.g. output edited), or why it is blocked. */
  note?: string;
}

export interface PlannedNode {
  node: string;
  steps: PlannedStep[];
  /** With a site file: the engine the node is routed to, natively or emulated. */
  engine?: string;
  route?: 'native' | 'emulated';
}

/** One engine of a site as the plan probes it. */
export interface EngineProbe {
  engine: Engine;
  index: ImageIndex;
  remote?: ProbeContext['remote'];
}

export interface PlanInput {
  tree: ResolvedTree;
  engine: Engine;
  index: ImageIndex;
  noCache?: boolean;
  rebuild?: Iterable<string>;
  remote?: ProbeContext['remote'];
  /** With a site file: each node's engine (routeTree) and each engine's index; else `engine` and `index` for all. */
  routes?: Routes;
  engines?: ReadonlyMap<string, EngineProbe>;
}

export async function planTree(input: PlanInput): Promise<PlannedNode[]> {
  const keys = treeKeys(input.tree, input.engine.executor);
  const ctx: ProbeContext = { tree: input.tree, engine: input.engine, index: input.index, forced: forcedNodes(input.tree, input), remote: input.remote };
  const blockedAt = new Map<string, string>(); // node -> the blocked step (node:step) it cannot get past
  const planned: PlannedNode[] = [];
  for (const job of jobsOf(input.tree)) {
    let waitsFor = job.deps.map((d) => blockedAt.get(d)).find(Boolean);
    const route = input.routes?.get(job.name);
    const on = route && input.engines?.get(route.engine);
    const pctx: ProbeContext = on ? { ...ctx, ...on } : ctx;
    const steps: PlannedStep[] = [];
    for (const s of keys.get(job.name)!.steps) {
      if (waitsFor) {
        steps.push({ step: s.step, state: 'blocked', key: s.key, reasons: [], waitsFor });
        continue;
      }
      const p = await probeStep(pctx, s);
      steps.push({ step: s.step, key: s.key, ...stateOf(p) });
      if (p.kind === 'blocked') waitsFor = `${job.name}:${s.step}`;
    }
    if (waitsFor) blockedAt.set(job.name, waitsFor);
    planned.push({ node: job.name, steps, ...(route && route.how !== 'only' ? { engine: route.engine, route: route.how } : {}) });
  }
  return planned;
}

const pulled = (ref: string | undefined) => (ref ? { pulledFrom: ref } : {});

function stateOf(p: Probe): Omit<PlannedStep, 'step' | 'key'> {
  switch (p.kind) {
    case 'hit':
      return { state: 'cached', reasons: [], image: p.image, source: 'local', ...pulled(p.summary?.labels[LABEL.pulledFrom]) };
    case 'remote':
      return { state: 'cached', reasons: [], source: 'registry', digest: p.digest };
    case 'miss':
      return { state: 'run', reasons: p.reasons, ...(p.note ? { note: p.note } : {}) };
    case 'blocked':
      return { state: 'blocked', reasons: [], note: p.message };
  }
}

// The build's side of the step model: take the probe's decision (the same one `stalker plan`
// shows) and act on it: reuse a hit, execute a miss through the step's kind, fail on a block.
import { StalkerError } from '../errors.js';
import { probeStep } from '../plan/probe.js';
import type { KeyedStep } from '../plan/tree-keys.js';
import { runBootstrap } from './bootstrap.js';
import { type BuildContext, repoOf } from './build-context.js';
import { stepLifecycle, type StepScope } from './step-lifecycle.js';
import { runStep } from './step-runner.js';
import { runWriter } from './writer-runner.js';

export interface NodeInput {
  parent?: string; // the image the step starts from (absent for a bootstrap)
  needs: Record<string, string>; // needed node -> its final image id
  platform: string;
}

export interface StepOutcome { image: string; cached: boolean }

export async function runKeyedStep(ctx: BuildContext, s: KeyedStep, input: NodeInput): Promise<StepOutcome> {
  const p = await probeStep(ctx.probe, s);
  switch (p.kind) {
    case 'hit':
      if (p.summary) await ctx.session.index.ensureTag(ctx.session.engine, p.summary, repoOf(ctx, s.node), s.step);
      ctx.events.emit({ type: 'step-cached', node: s.node, step: s.step, key: s.key, image: p.image });
      return { image: p.image, cached: true };
    case 'blocked':
      throw new StalkerError(p.code, p.message);
    case 'miss':
      return { image: await stepLifecycle(ctx, s, p.reasons, (scope) => execute(ctx, s, input, scope)), cached: false };
  }
}

function execute(ctx: BuildContext, s: KeyedStep, input: NodeInput, scope: StepScope): Promise<string> {
  switch (s.kind) {
    case 'bootstrap':
      return runBootstrap(ctx, s, scope);
    case 'script':
      return runStep(ctx, s, { parent: parentOf(s, input), needs: input.needs, platform: input.platform }, scope);
    case 'writer':
      return runWriter(ctx, s, parentOf(s, input), input.platform, scope);
  }
}

function parentOf(s: KeyedStep, input: NodeInput): string {
  if (!input.parent) throw new StalkerError('NOT_FOUND', `step ${s.node}:${s.step} has no image to start from`);
  return input.parent;
}

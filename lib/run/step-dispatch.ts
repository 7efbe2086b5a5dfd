// The build's side of the step model: take the probe's decision (the same one `stalker plan`
// shows) and act on it: reuse a hit, execute a miss through the step's kind, fail on a block.
// A kind's runner (and the writer, tar streams and staging behind it) is imported when a step of
// that kind runs, so a fully cached build never loads them.
import type { KeyChange } from '../cache/key-diff.js';
import type { ImageSummary } from '../engine/engine-port.js';
import { LABEL } from '../engine/labels.js';
import { StalkerError } from '../errors.js';
import { probeStep } from '../plan/probe.js';
import { sharable } from '../plan/shared-keys.js';
import type { KeyedStep } from '../plan/tree-keys.js';
import { type BuildContext, engineOf, repoOf } from './build-context.js';
import { stepLifecycle, type StepScope } from './step-lifecycle.js';

export interface NodeInput {
  parent?: string; // the image the step starts from (absent for a bootstrap)
  needs: Record<string, string>; // needed node -> its final image id
  platform: string;
}

export interface StepOutcome {
  image: string;
  cached: boolean;
}

export async function runKeyedStep(ctx: BuildContext, s: KeyedStep, input: NodeInput): Promise<StepOutcome> {
  const p = await probeStep(ctx.probe, s);
  switch (p.kind) {
    case 'hit':
      if (p.summary) await ctx.session.index.ensureTag(ctx.session.engine, p.summary, repoOf(ctx, s.node), s.step);
      ctx.events.emit({
        type: 'step-cached',
        node: s.node,
        step: s.step,
        key: s.key,
        image: p.image,
        source: 'local',
        ...pulledFrom(p.summary),
        ...engineOf(ctx),
      });
      // A hit the shared cache lacks (built before it was configured) is shared now.
      if (sharable(s)) ctx.remote?.pushLater(s.key, p.image);
      return { image: p.image, cached: true };
    case 'remote': {
      const pulled = await ctx.remote!.pull(s.key, p.digest);
      if (pulled.kind === 'pulled') {
        const { session } = ctx;
        session.index.remember(pulled.image);
        await session.index.ensureTag(session.engine, pulled.image, repoOf(ctx, s.node), s.step);
        ctx.events.emit({
          type: 'step-cached',
          node: s.node,
          step: s.step,
          key: s.key,
          image: pulled.image.id,
          source: 'registry',
          ...pulledFrom(pulled.image),
          ...engineOf(ctx),
        });
        return { image: pulled.image.id, cached: true };
      }
      // The key is the same whatever happens here (keys chain from the config), so what depends
      // on this step is still looked up under its own key; only this step runs.
      return runMiss(ctx, s, input, [{ part: 'registry', why: pulled.why }]);
    }
    case 'blocked':
      throw new StalkerError(p.code, p.message);
    case 'miss':
      return runMiss(ctx, s, input, p.reasons);
  }
}

async function runMiss(ctx: BuildContext, s: KeyedStep, input: NodeInput, reasons: KeyChange[]): Promise<StepOutcome> {
  const image = await stepLifecycle(ctx, s, reasons, (scope) => execute(ctx, s, input, scope));
  if (sharable(s)) ctx.remote?.pushLater(s.key, image);
  return { image, cached: false };
}

async function execute(ctx: BuildContext, s: KeyedStep, input: NodeInput, scope: StepScope): Promise<string> {
  switch (s.kind) {
    case 'bootstrap':
      return (await import('./bootstrap.js')).runBootstrap(ctx, s, scope);
    case 'script':
      return (await import('./step-runner.js')).runStep(ctx, s, { parent: parentOf(s, input), needs: input.needs, platform: input.platform }, scope);
    case 'writer':
      return (await import('./writer-runner.js')).runWriter(ctx, s, parentOf(s, input), input.platform, scope);
  }
}

/** What the image's labels say of a pull (labels.ts pulledLabels), for the report and `stalker events`. */
function pulledFrom(image: ImageSummary | undefined): { pulledFrom?: string } {
  const ref = image?.labels[LABEL.pulledFrom];
  return ref ? { pulledFrom: ref } : {};
}

function parentOf(s: KeyedStep, input: NodeInput): string {
  if (!input.parent) throw new StalkerError('NOT_FOUND', `step ${s.node}:${s.step} has no image to start from`);
  return input.parent;
}

// One step: compute its key; on a hit reuse the image; otherwise run the script in a container
// from the parent image and commit only after exit 0. A failed step moves no tag: its state is
// committed under a failure tag (without a key, so it is never a hit) for `stalker shell --failed`.
import { join } from 'node:path';
import { cacheKey } from '../cache/cache-key.js';
import { diffKeyParts } from '../cache/key-diff.js';
import type { ResolvedStep } from '../config/types.js';
import { LABEL } from '../engine/labels.js';
import { StalkerError, StepFailed } from '../errors.js';
import { type BuildContext, repoOf, runLabels, useCache } from './build-context.js';
import { copyFromNodes } from './node-copy.js';
import { stepKeyParts } from './step-parts.js';
import { StepLog } from './step-log.js';
import { copiedFilesTar, stageStep } from './step-staging.js';

export interface StepInput {
  parent: string; // image id
  parentCmd: () => Promise<string[]>;
  needs: Record<string, string>;
  platform: string;
}

export interface StepResult { image: string; cached: boolean }

export async function runStep(ctx: BuildContext, step: ResolvedStep, input: StepInput): Promise<StepResult> {
  const { node, name } = step;
  const repo = repoOf(ctx, node);
  const parts = stepKeyParts(step, input.parent, input.platform, input.needs);
  const key = cacheKey(parts);
  const hit = step.cache && useCache(ctx, node) ? ctx.index.lookup(key) : undefined;
  if (hit) {
    await ctx.index.ensureTag(ctx.engine, hit, repo, name);
    ctx.events.emit({ type: 'step-cached', node, step: name, key, image: hit.id });
    return { image: hit.id, cached: true };
  }

  if (ctx.signal.aborted) throw new StalkerError('INTERRUPTED', 'interrupted');
  const reasons = diffKeyParts(ctx.index.partsAt(`${repo}:${name}`), parts);
  const log = await StepLog.open(ctx.logs.stepInRun(node, name), ctx.logs.stepLatest(node, name));
  ctx.events.emit({ type: 'step-start', node, step: name, key, reasons, logPath: log.path });
  const started = Date.now();
  const staged = await stageStep(join(ctx.stagingDir, node, name), step, ctx.cacheDir);
  const labels = runLabels(ctx, node, name);
  const id = await ctx.engine.containers.create({
    image: input.parent, platform: input.platform, cmd: staged.cmd, labels, binds: staged.binds,
  });
  ctx.live.add(id);
  try {
    await copyFromNodes(ctx, step.copies, { node, step: name, container: id, needs: input.needs }).catch((err: unknown) => {
      log.note(`stalker: ${err instanceof Error ? err.message : String(err)}`);
      throw err;
    });
    const copies = await copiedFilesTar(step);
    if (copies) await ctx.engine.containers.putArchive(id, copies, '/');
    const exitCode = await ctx.engine.containers.run(id, (stream, chunk) => {
      for (const line of log.write(chunk)) ctx.events.emit({ type: 'step-output', node, step: name, stream, line });
    });
    const cmd = await input.parentCmd();
    if (exitCode !== 0 || ctx.signal.aborted) {
      await log.close();
      if (ctx.signal.aborted) throw new StalkerError('INTERRUPTED', `step ${node}:${name} interrupted`);
      const failedTag = `failed-${name}`;
      await ctx.engine.containers.commit(id, { repo, tag: failedTag, cmd, labels: { ...labels, [LABEL.failed]: 'true' } });
      ctx.events.emit({ type: 'step-failed', node, step: name, exitCode, logPath: log.path, failedImage: `${repo}:${failedTag}`, durationMs: Date.now() - started });
      throw new StepFailed(node, name, exitCode, log.path, log.tail(), `${repo}:${failedTag}`);
    }
    const image = await ctx.engine.containers.commit(id, {
      repo, tag: name, cmd,
      labels: {
        ...labels,
        [LABEL.key]: key,
        [LABEL.keyParts]: JSON.stringify(parts),
        [LABEL.parent]: input.parent,
        'org.opencontainers.image.title': `${node}:${name}`,
        'org.opencontainers.image.version': key.slice(0, 12),
      },
    });
    await log.close();
    ctx.index.remember({ id: image, tags: [`${repo}:${name}`], labels: { [LABEL.key]: key, [LABEL.keyParts]: JSON.stringify(parts) }, created: Date.now() / 1000 });
    ctx.events.emit({ type: 'step-done', node, step: name, key, image, durationMs: Date.now() - started });
    return { image, cached: false };
  } finally {
    await log.close(); // already closed unless something other than the script failed
    // Removal is off the critical path: the next step only needs the committed image.
    ctx.pending.push(ctx.engine.containers.remove(id).finally(() => ctx.live.delete(id)));
  }
}

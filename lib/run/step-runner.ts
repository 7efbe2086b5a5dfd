// Executes a stalk step: a container from the parent image with the step's inputs, the script run,
// and a commit only after exit 0. A failed step moves no tag: its state is committed under a
// failure tag (without a key, so it is never a hit) for `stalker shell --failed`.
import { join } from 'node:path';
import { failedTag } from '../engine/image-names.js';
import { failedLabels, keyLabels, LABEL } from '../engine/labels.js';
import { StalkerError, StepFailed } from '../errors.js';
import type { KeyedStep } from '../plan/tree-keys.js';
import { type BuildContext, repoOf, runLabels } from './build-context.js';
import { emulatedCpuEnv } from './emulated-cpu.js';
import { copyFromNodes } from './node-copy.js';
import type { StepScope } from './step-lifecycle.js';
import { copiedFilesTar, stageStep } from './step-staging.js';

type KeyedScript = Extract<KeyedStep, { kind: 'script' }>;

export interface StepInput {
  parent: string; // image id
  needs: Record<string, string>; // needed node -> its final image id (what copies read from)
  platform: string;
}

export async function runStep(ctx: BuildContext, s: KeyedScript, input: StepInput, scope: StepScope): Promise<string> {
  const { node, step: name } = s;
  const { engine } = ctx.session;
  const repo = repoOf(ctx, node);
  const staged = await stageStep(join(ctx.stagingDir, node, name), s.config, ctx.cacheDir, engine.seesHostPaths, emulatedCpuEnv(input.platform));
  const labels = runLabels(ctx, node, name);
  const id = await scope.container({
    image: input.parent,
    platform: input.platform,
    cmd: staged.cmd,
    labels,
    binds: staged.binds,
    volumes: staged.volumes,
  });
  for (const a of staged.archives) await engine.containers.putArchive(id, await a.tar(), a.path);
  await copyFromNodes(ctx, s.config.copies, { node, step: name, container: id, needs: input.needs });
  const copies = await copiedFilesTar(s.config);
  if (copies) await engine.containers.putArchive(id, copies, '/');
  const exitCode = await engine.containers.run(id, (stream, chunk) => {
    for (const line of scope.log.write(chunk)) ctx.events.emit({ type: 'step-output', node, step: name, stream, line });
  });
  if (ctx.signal.aborted) throw new StalkerError('INTERRUPTED', `step ${node}:${name} interrupted`);
  if (exitCode !== 0) {
    const tag = failedTag(name);
    await engine.containers.commit(id, { repo, tag, labels: { ...labels, ...failedLabels() } });
    throw new StepFailed(node, name, exitCode, scope.log.path, scope.log.tail(), `${repo}:${tag}`);
  }
  const committed = { ...labels, ...keyLabels(s.key, s.parts, `${node}:${name}`), [LABEL.parent]: input.parent };
  const image = await engine.containers.commit(id, { repo, tag: name, labels: committed });
  ctx.session.index.remember({ id: image, tags: [`${repo}:${name}`], labels: committed, created: Date.now() / 1000 });
  return image;
}

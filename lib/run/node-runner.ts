// One node: its first image (bootstrap or the parent's final), then its steps in order, then the
// `final` tag that children start from.
import { FINAL_TAG } from '../config/names.js';
import type { ResolvedNode } from '../config/types.js';
import { StalkerError } from '../errors.js';
import { runBootstrap } from './bootstrap.js';
import { type BuildContext, repoOf } from './build-context.js';
import { runStep } from './step-runner.js';
import { runWriter } from './writer-runner.js';

export interface NodeResult { image: string; cached: boolean }

/** `finals` holds the final image id of every node this one depends on. */
export async function runNode(ctx: BuildContext, node: ResolvedNode, finals: ReadonlyMap<string, string>): Promise<NodeResult> {
  const started = Date.now();
  ctx.events.emit({ type: 'node-start', node: node.name });
  let image: string;
  let cached = true;
  if (node.bootstrap) {
    const r = await runBootstrap(ctx, node, node.bootstrap);
    image = r.image;
    cached = r.cached;
  } else if (node.from) {
    image = required(finals, node.from, node.name);
  } else {
    throw new StalkerError('CONFIG_INVALID', `node ${node.name} has neither bootstrap nor from`);
  }
  if (node.writer) {
    // A writer's result is a file, not an image: its "final" stays the root filesystem it wrote.
    const r = await runWriter(ctx, node, image);
    ctx.events.emit({ type: 'node-done', node: node.name, image, cached: r.cached, durationMs: Date.now() - started });
    return { image, cached: r.cached };
  }
  const needs = Object.fromEntries(node.needs.map((n) => [n, required(finals, n, node.name)]));
  for (const step of node.steps) {
    const parent = image;
    let cmd: string[] | undefined;
    const parentCmd = async () => (cmd ??= (await ctx.engine.images.inspect(parent))?.cmd ?? ['/bin/sh']);
    const r = await runStep(ctx, step, { parent, parentCmd, needs, platform: node.platform });
    image = r.image;
    cached &&= r.cached;
  }
  const final = ctx.index.tagged(`${repoOf(ctx, node.name)}:${FINAL_TAG}`);
  if (final?.id !== image) await ctx.engine.images.tag(image, repoOf(ctx, node.name), FINAL_TAG);
  ctx.index.remember({ id: image, tags: [`${repoOf(ctx, node.name)}:${FINAL_TAG}`], labels: {}, created: Date.now() / 1000 });
  ctx.events.emit({ type: 'node-done', node: node.name, image, cached, durationMs: Date.now() - started });
  return { image, cached };
}

function required(finals: ReadonlyMap<string, string>, name: string, node: string): string {
  const id = finals.get(name);
  if (!id) throw new StalkerError('NOT_FOUND', `node ${node}: upstream node ${name} has no image`);
  return id;
}

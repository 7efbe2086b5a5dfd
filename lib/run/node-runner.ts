// One node: its steps in order (bootstrap, stalk steps, or the write step), each decided by its
// probe, each starting from the image of the one before; then the `final` tag children start from.
import type { ResolvedNode } from '../config/types.js';
import { FINAL_TAG } from '../engine/image-names.js';
import { StalkerError } from '../errors.js';
import type { Route } from '../plan/route.js';
import { type BuildContext, repoOf } from './build-context.js';
import { runKeyedStep } from './step-dispatch.js';

export interface NodeResult {
  image: string;
  cached: boolean;
}

/** `finals` holds the final image id of every node this one depends on, on this node's engine. */
export async function runNode(ctx: BuildContext, node: ResolvedNode, finals: ReadonlyMap<string, string>, route?: Route): Promise<NodeResult> {
  const started = Date.now();
  const on = ctx.engineName && route && route.how !== 'only' ? { engine: ctx.engineName, route: route.how } : {};
  ctx.events.emit({ type: 'node-start', node: node.name, ...on });
  let image = node.from ? required(finals, node.from, node.name) : undefined;
  const needs = Object.fromEntries(node.needs.map((n) => [n, required(finals, n, node.name)]));
  let cached = true;
  for (const s of ctx.keys.get(node.name)!.steps) {
    const r = await runKeyedStep(ctx, s, { parent: image, needs, platform: node.platform });
    // A writer's result is a file, not an image: the node's final stays the root filesystem it wrote.
    if (s.kind !== 'writer') image = r.image;
    cached &&= r.cached;
  }
  if (!image) throw new StalkerError('NOT_FOUND', `node ${node.name} made no image`);
  if (!node.writer) await tagFinal(ctx, node.name, image);
  ctx.events.emit({ type: 'node-done', node: node.name, image, cached, durationMs: Date.now() - started });
  return { image, cached };
}

async function tagFinal(ctx: BuildContext, node: string, image: string): Promise<void> {
  const repo = repoOf(ctx, node);
  const { index, engine } = ctx.session;
  if (index.tagged(`${repo}:${FINAL_TAG}`)?.id !== image) await engine.images.tag(image, repo, FINAL_TAG);
  index.remember({ id: image, tags: [`${repo}:${FINAL_TAG}`], labels: {}, created: Date.now() / 1000 });
}

function required(finals: ReadonlyMap<string, string>, name: string, node: string): string {
  const id = finals.get(name);
  if (!id) throw new StalkerError('NOT_FOUND', `node ${node}: upstream node ${name} has no image`);
  return id;
}

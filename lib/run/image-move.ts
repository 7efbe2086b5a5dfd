// A node's inputs when they were built on another engine of the run: the final image of its parent
// or of a node it copies from is moved to the node's engine first. Through the shared cache when
// this run may write to it (the source engine pushes the key, the target pulls it: what a team's
// engines share anyway), else streamed from one engine's save into the other's load (no file of
// the whole image on this machine). Each image moves to an engine once per run; an engine that
// holds the key already (built or pulled there before) gets nothing.
import { FINAL_TAG } from '../engine/image-names.js';
import { LABEL } from '../engine/labels.js';
import { StalkerError } from '../errors.js';
import { debug } from '../util/debug.js';
import { type BuildContext, repoOf } from './build-context.js';
import type { EngineSession } from './engine-session.js';

export interface BuiltNode {
  image: string;
  engine: string; // the run's name of the engine holding it
}

/** The image id of every dependency of the node, on the node's engine. */
export async function finalsHere(ctx: BuildContext, here: string, deps: ReadonlyMap<string, BuiltNode>): Promise<Map<string, string>> {
  const out = new Map<string, string>();
  for (const [dep, built] of deps) out.set(dep, built.engine === here ? built.image : await moved(ctx, dep, built, here));
  return out;
}

function moved(ctx: BuildContext, dep: string, built: BuiltNode, here: string): Promise<string> {
  const key = ctx.keys.get(dep)!.final;
  const memo = `${here} ${key}`;
  let p = ctx.moved.get(memo);
  if (!p) {
    p = move(ctx, dep, key, built, here);
    ctx.moved.set(memo, p);
  }
  return p;
}

async function move(ctx: BuildContext, dep: string, key: string, built: BuiltNode, here: string): Promise<string> {
  const source = ctx.sessions.get(built.engine)!;
  const target = ctx.sessions.get(here)!;
  const held = target.index.lookup(key);
  if (held) return held.id;
  const started = Date.now();
  const ref = await throughRegistry(ctx, key, built, target);
  const via = ref ? 'registry' : 'stream';
  if (!ref) await streamed(dep, built, source, target, here);
  const image = await target.engine.images.inspect(ref ?? built.image);
  if (!image || image.labels[LABEL.key] !== key) {
    throw new StalkerError('ENGINE', `node ${dep}: its image ${built.image} did not arrive on engine ${here} (moved from ${built.engine} by ${via})`);
  }
  target.index.remember(image);
  await target.index.ensureTag(target.engine, image, repoOf(ctx, dep), FINAL_TAG);
  // The registry's tag was only the handle of the pull: the node's own tag keeps the image.
  if (ref) await target.engine.images.remove(ref).catch(() => {});
  ctx.events.emit({ type: 'image-moved', node: dep, key, from: built.engine, to: here, via, durationMs: Date.now() - started });
  return image.id;
}

/** Pushed by the source engine (or already in the registry), pulled by the target: the reference; undefined: not this way. */
async function throughRegistry(ctx: BuildContext, key: string, built: BuiltNode, target: EngineSession): Promise<string | undefined> {
  const ref = await ctx.remotes.get(built.engine)?.whenPushed(key, built.image);
  if (!ref || !target.engine.images.pull) return undefined;
  try {
    await target.engine.images.pull(ref);
    return ref;
  } catch (err) {
    // A registry that fails here is a slower way lost, not a failed build: the image streams.
    debug('move', `pull of ${ref} failed, streaming instead: ${err instanceof Error ? err.message : String(err)}`);
    return undefined;
  }
}

async function streamed(dep: string, built: BuiltNode, source: EngineSession, target: EngineSession, here: string): Promise<void> {
  const { save } = source.engine.images;
  const { load } = target.engine.images;
  if (!save || !load) {
    throw new StalkerError(
      'ENGINE',
      `node ${dep}: its image cannot move from engine ${built.engine} to ${here} (${source.engine.kind} -> ${target.engine.kind}: no save/load); configure a shared cache both reach`,
    );
  }
  await load.call(target.engine.images, await save.call(source.engine.images, built.image));
}

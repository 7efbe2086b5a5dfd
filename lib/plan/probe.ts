// The decision for one step, taken the same way by `stalker plan` and by the build: a hit (reuse
// this image or file), a miss (run it, and why), or blocked (it cannot run: the build fails there).
import type { ImageIndex } from '../cache/image-index.js';
import { diffKeyParts, type KeyChange } from '../cache/key-diff.js';
import type { ResolvedTree } from '../config/types.js';
import type { Engine, ImageSummary } from '../engine/engine-port.js';
import { imageRef } from '../engine/image-names.js';
import type { ErrorCode } from '../errors.js';
import { downstreamOf } from './jobs.js';
import type { KeyedStep } from './tree-keys.js';
import { readFingerprint } from './writer-step.js';

export type Probe =
  | { kind: 'hit'; image: string; summary?: ImageSummary } // image id, or a writer's output file
  | { kind: 'remote'; digest: string } // in the shared cache (registry), not in the engine yet
  | { kind: 'miss'; reasons: KeyChange[]; note?: string }
  | { kind: 'blocked'; code: ErrorCode; message: string };

export interface ProbeContext {
  tree: ResolvedTree;
  engine: Engine;
  index: ImageIndex;
  /** Nodes whose hits are ignored, with why: --no-cache, or --rebuild of it or of a node upstream. */
  forced: ReadonlyMap<string, string>;
  /** The shared cache's answer for keys the engine lacks (absent: no shared cache). */
  remote?: { lookup(key: string): string | undefined };
}

export function forcedNodes(tree: ResolvedTree, opts: { noCache?: boolean; rebuild?: Iterable<string> }): Map<string, string> {
  if (opts.noCache) return new Map([...tree.nodes.keys()].map((n) => [n, '--no-cache']));
  const forced = new Map<string, string>();
  for (const root of opts.rebuild ?? []) {
    // What a rebuilt node's children start from is made anew, so they follow it.
    for (const n of downstreamOf(tree, [root])) if (!forced.has(n)) forced.set(n, `--rebuild ${root}`);
  }
  return forced;
}

function missOf(reasons: KeyChange[], forced: string | undefined, absent: string): Probe {
  if (forced) return { kind: 'miss', reasons: reasons.length ? reasons : [{ part: 'forced', by: forced }] };
  return { kind: 'miss', reasons, ...(reasons.length ? {} : { note: absent }) };
}

export async function probeStep(ctx: ProbeContext, s: KeyedStep): Promise<Probe> {
  const forced = ctx.forced.get(s.node);
  switch (s.kind) {
    case 'bootstrap': {
      if (s.bootstrap.kind === 'image') {
        // Nothing to run: the pinned image is there or the build cannot start this node.
        const found = await ctx.engine.images.inspect(s.bootstrap.ref);
        if (found) return { kind: 'hit', image: found.id, summary: found };
        return { kind: 'blocked', code: 'BOOTSTRAP_FAILED', message: `node ${s.node}: image ${s.bootstrap.ref} is not in the engine` };
      }
      return probeImage(ctx, s, forced, true);
    }
    case 'script':
      return probeImage(ctx, s, forced, s.config.cache);
    case 'writer': {
      const previous = await readFingerprint(s.output);
      if (!forced && previous?.key === s.key) return { kind: 'hit', image: s.output };
      return missOf(diffKeyParts(previous?.parts, s.parts), forced, `${s.output} changed or went missing since it was written`);
    }
  }
}

function probeImage(ctx: ProbeContext, s: KeyedStep, forced: string | undefined, cacheable: boolean): Probe {
  const hit = cacheable && !forced ? ctx.index.lookup(s.key) : undefined;
  if (hit) return { kind: 'hit', image: hit.id, summary: hit };
  const digest = cacheable && !forced ? ctx.remote?.lookup(s.key) : undefined;
  if (digest) return { kind: 'remote', digest };
  const reasons = diffKeyParts(ctx.index.partsAt(imageRef(ctx.tree.repository, s.node, s.step)), s.parts);
  return missOf(reasons, forced, 'no image with this key (removed or pruned)');
}

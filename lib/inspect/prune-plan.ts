// What `stalker prune` would remove. An image is kept when a current tree references it: it is
// the cache hit of a step in that tree's plan, or it carries a tag of a current node's step
// (`<repo>/<node>:<step|final|failed-step>`), or a kept image is built on it. Everything else
// with our labels goes, when older than --older-than. Containers go when the process that made
// them is gone. Pure: the engine's lists in, the decision out.
import type { ContainerSummary, ImageSummary } from '../engine/engine-port.js';
import { failedTag, FINAL_TAG, imageRef } from '../engine/image-names.js';
import { LABEL } from '../engine/labels.js';

export interface CurrentTree {
  name: string;
  repository: string;
  nodes: Map<string, string[]>;
} // node -> step names

export interface PruneInput {
  images: ImageSummary[]; // our images in scope
  containers: ContainerSummary[]; // our containers in scope
  trees: CurrentTree[];
  planHits: Set<string>; // image ids the current plans would reuse
  now: number; // unix seconds
  olderThan?: number; // seconds
  alive(pid: number): boolean;
}

export interface PruneItem {
  id: string;
  what: string;
  reason: string;
  created: number;
  size?: number;
}
export interface PruneDecision {
  images: PruneItem[];
  containers: PruneItem[];
  kept: number;
}

export function currentTags(trees: readonly CurrentTree[]): Set<string> {
  const tags = new Set<string>();
  for (const t of trees) {
    for (const [node, steps] of t.nodes) {
      tags.add(imageRef(t.repository, node, FINAL_TAG));
      for (const s of steps) tags.add(imageRef(t.repository, node, s)).add(imageRef(t.repository, node, failedTag(s)));
    }
  }
  return tags;
}

function describe(i: ImageSummary): string {
  const l = i.labels;
  const name = i.tags[0] ?? `${l[LABEL.node] ?? '?'}:${l[LABEL.step] ?? '?'} (untagged)`;
  return `${name} [tree ${l[LABEL.tree] ?? '?'}]`;
}

function whyUnreferenced(i: ImageSummary, trees: readonly CurrentTree[]): string {
  const t = trees.find((x) => x.name === i.labels[LABEL.tree]);
  if (!t) return `tree ${i.labels[LABEL.tree] ?? '?'} is not a current tree`;
  const node = i.labels[LABEL.node];
  if (node && !t.nodes.has(node)) return `node ${node} is no longer in tree ${t.name}`;
  if (i.labels[LABEL.failed] === 'true') return 'failed state of a step that has changed or passed since';
  return i.tags.length ? 'tag of a step that no longer exists' : 'superseded build: no current step would reuse it';
}

export function decidePrune(input: PruneInput): PruneDecision {
  const tags = currentTags(input.trees);
  const byId = new Map(input.images.map((i) => [i.id, i]));
  const keep = new Set<string>();
  const mark = (id: string | undefined) => {
    // Parents first in the layer chain: an image a kept image is built on cannot go either.
    while (id && byId.has(id) && !keep.has(id)) {
      keep.add(id);
      id = byId.get(id)!.labels[LABEL.parent];
    }
  };
  for (const i of input.images) {
    if (input.planHits.has(i.id) || i.tags.some((t) => tags.has(t))) mark(i.id);
  }
  const old = (created?: number) => input.olderThan === undefined || created === undefined || input.now - created >= input.olderThan;
  const images = input.images
    .filter((i) => !keep.has(i.id) && old(i.created))
    .sort((a, b) => b.created - a.created) // children before the parents they are built on
    .map((i) => ({ id: i.id, what: describe(i), reason: whyUnreferenced(i, input.trees), created: i.created, size: i.size }));
  const containers = input.containers
    .filter((c) => !input.alive(Number(c.labels[LABEL.pid])) && old(c.created))
    .map((c) => ({
      id: c.id,
      created: c.created ?? 0,
      what: `container ${c.id.slice(0, 12)} (${c.labels[LABEL.node] ?? '?'}:${c.labels[LABEL.step] ?? '?'}, ${c.state}) [tree ${c.labels[LABEL.tree] ?? '?'}]`,
      reason: 'left by a run that is gone',
    }));
  return { images, containers, kept: keep.size };
}

/** "7d", "12h", "30m", "45s", "2w"; a bare number is seconds. */
export function parseDuration(text: string): number {
  const m = /^(\d+(?:\.\d+)?)\s*(s|m|h|d|w)?$/.exec(text.trim());
  if (!m) throw new Error(`not a duration: ${text} (examples: 30m, 12h, 7d, 2w)`);
  const unit = { s: 1, m: 60, h: 3600, d: 86_400, w: 604_800 }[(m[2] ?? 's') as 's'];
  return Number(m[1]) * unit;
}

// Where a build expects to find each step it could reuse: the step's tag, holding the step's key
// when the last build of the tree is still what the config says. A rerun checks these few tags
// (EngineSession.open) before it lists every image in the engine.
import type { ExpectedTags } from '../cache/image-index.js';
import { FINAL_TAG } from '../config/names.js';
import type { ResolvedTree } from '../config/types.js';
import { imageRef } from '../engine/image-names.js';
import { sharable } from './shared-keys.js';
import type { NodeKeys } from './tree-keys.js';

export function expectedTags(tree: ResolvedTree, keys: ReadonlyMap<string, NodeKeys>): ExpectedTags {
  const nodes = [...keys.values()];
  return {
    wanted: nodes.flatMap((n) => n.steps.filter(sharable).map((s) => ({ ref: imageRef(tree.repository, n.node, s.step), key: s.key }))),
    also: nodes.filter((n) => !tree.nodes.get(n.node)?.writer).map((n) => imageRef(tree.repository, n.node, FINAL_TAG)),
  };
}

// Label names stalker puts on everything it creates, and finds things again by; and the label
// sets themselves, so a step container, a committed image and a shell container agree.
import type { KeyParts } from '../cache/cache-key.js';
import type { Labels } from './engine-port.js';

export const LABEL = {
  tool: 'stalker.tool',
  version: 'stalker.version',
  run: 'stalker.run',
  pid: 'stalker.pid',
  tree: 'stalker.tree',
  node: 'stalker.node',
  step: 'stalker.step',
  key: 'stalker.key',
  keyParts: 'stalker.key-parts',
  parent: 'stalker.parent',
  failed: 'stalker.failed',
  // On an image pulled from the shared cache: where from, and the facts of the run that built it
  // (elsewhere) that something here still reads (`stalker logs` says whose logs they were).
  pulledFrom: 'stalker.pulled-from',
  originRun: 'stalker.origin.run',
  originTree: 'stalker.origin.tree',
} as const;

export const TOOL = 'stalker';
export const TOOL_VERSION = '0.1.0';

export interface Owner {
  run: string; // run id, or 'shell' / 'export' for the inspect commands
  tree: string;
  node: string;
  step?: string;
  pid?: number; // whose liveness keeps a container from the sweep (default: this process)
}

/** On every container and image stalker makes: the sweep and prune find them by these. */
export function ownerLabels(o: Owner): Labels {
  return {
    [LABEL.tool]: TOOL,
    [LABEL.version]: TOOL_VERSION,
    [LABEL.run]: o.run,
    [LABEL.pid]: String(o.pid ?? process.pid),
    [LABEL.tree]: o.tree,
    [LABEL.node]: o.node,
    ...(o.step ? { [LABEL.step]: o.step } : {}),
  };
}

/** On a committed step image: its key and parts make it a cache hit and let `explain` diff it. */
export function keyLabels(key: string, parts: KeyParts, title: string): Labels {
  return {
    [LABEL.key]: key,
    [LABEL.keyParts]: JSON.stringify(parts),
    'org.opencontainers.image.title': title,
    'org.opencontainers.image.version': key.slice(0, 12),
  };
}

export function failedLabels(): Labels {
  return { [LABEL.failed]: 'true' };
}

/**
 * A pulled image's labels: its content (key, parts, node, step, tool) as the builder wrote them,
 * since they make it the cache entry; its provenance this engine's truth: owned by the run and
 * tree that pulled it (what the sweep, prune --tree and `stalker logs` go by), pulled from `ref`,
 * built on no image here (the builder's parent id names an image of the builder's engine).
 */
export function pulledLabels(original: Labels, o: Pick<Owner, 'run' | 'tree'>, ref: string): Labels {
  const { [LABEL.parent]: _parent, ...content } = original;
  return {
    ...content,
    ...ownerLabels({ ...o, node: original[LABEL.node] ?? '', step: original[LABEL.step] }),
    [LABEL.pulledFrom]: ref,
    // An image pulled, pushed on and pulled again still names the run that built it.
    [LABEL.originRun]: original[LABEL.originRun] ?? original[LABEL.run] ?? 'unknown',
    [LABEL.originTree]: original[LABEL.originTree] ?? original[LABEL.tree] ?? 'unknown',
  };
}

// What every runner below the scheduler shares during one build.
import type { ImageIndex } from '../cache/image-index.js';
import type { ResolvedTree } from '../config/types.js';
import type { Engine, Labels } from '../engine/engine-port.js';
import { LABEL, TOOL, TOOL_VERSION } from '../engine/labels.js';
import type { BuildEvents } from '../events/events.js';
import type { LogPaths } from '../logs/log-paths.js';

export interface BuildOptions {
  noCache: boolean;
  rebuild: Set<string>; // nodes whose cache hits are ignored
}

export interface BuildContext {
  engine: Engine;
  events: BuildEvents;
  tree: ResolvedTree;
  runId: string;
  index: ImageIndex;
  logs: LogPaths;
  stagingDir: string; // per-run host dir holding scripts and rendered files to mount
  cacheDir: string; // host dir of named caches
  options: BuildOptions;
  signal: AbortSignal;
  /** Containers of this run that exist right now, removed on interrupt. */
  live: Set<string>;
  /** Removals started in the background; awaited before the build returns. */
  pending: Promise<unknown>[];
}

export function runLabels(ctx: BuildContext, node: string, step: string): Labels {
  return {
    [LABEL.tool]: TOOL,
    [LABEL.version]: TOOL_VERSION,
    [LABEL.run]: ctx.runId,
    [LABEL.pid]: String(process.pid),
    [LABEL.tree]: ctx.tree.name,
    [LABEL.node]: node,
    [LABEL.step]: step,
  };
}

export function useCache(ctx: BuildContext, node: string): boolean {
  return !ctx.options.noCache && !ctx.options.rebuild.has(node);
}

export function repoOf(ctx: BuildContext, node: string): string {
  return `${ctx.tree.repository}/${node}`;
}

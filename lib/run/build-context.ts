// What every runner below the scheduler shares during one build.
import type { RemoteCache } from '../cache/remote-cache.js';
import type { ResolvedTree } from '../config/types.js';
import type { Labels } from '../engine/engine-port.js';
import { repoOf as repoName } from '../engine/image-names.js';
import { ownerLabels } from '../engine/labels.js';
import type { BuildEvents } from '../events/events.js';
import type { LogPaths } from '../logs/log-paths.js';
import type { ProbeContext } from '../plan/probe.js';
import type { Routes } from '../plan/route.js';
import type { NodeKeys } from '../plan/tree-keys.js';
import type { EngineSession } from './engine-session.js';

export interface BuildContext {
  session: EngineSession;
  events: BuildEvents;
  tree: ResolvedTree;
  runId: string;
  logs: LogPaths;
  stagingDir: string; // per-run host dir holding scripts and rendered files for step containers
  cacheDir: string; // host dir of named caches (engines that see host paths)
  signal: AbortSignal;
  /** Every step's key, computed before anything ran; the same list `stalker plan` probes. */
  keys: ReadonlyMap<string, NodeKeys>;
  probe: ProbeContext;
  /** The shared cache (registry) of this run as `session`'s engine sees it, when one is configured. */
  remote?: RemoteCache;
  /** With a site file: the name of `session`'s engine (the node's route); absent: one engine, no site. */
  engineName?: string;
  /** Every engine of the run by name, with its shared-cache view (moving images between them). */
  sessions: ReadonlyMap<string, EngineSession>;
  remotes: ReadonlyMap<string, RemoteCache>;
  routes: Routes;
  /** Final images moved between engines this run: `engine key` -> the image id there. */
  moved: Map<string, Promise<string>>;
}

/** What a step event says of its engine: its name with a site file, nothing without. */
export function engineOf(ctx: BuildContext): { engine?: string } {
  return ctx.engineName ? { engine: ctx.engineName } : {};
}

export function runLabels(ctx: BuildContext, node: string, step: string): Labels {
  return ownerLabels({ run: ctx.runId, tree: ctx.tree.name, node, step });
}

export function repoOf(ctx: BuildContext, node: string): string {
  return repoName(ctx.tree.repository, node);
}

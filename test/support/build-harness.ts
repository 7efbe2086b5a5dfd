// Runs real builds in-process against the real Docker engine and records every event.
import { join } from 'node:path';
import type { SharedCacheOptions } from '../../lib/cache/shared-cache-options.js';
import { clearHashMemo } from '../../lib/config/content-hash.js';
import { loadTree } from '../../lib/config/load-tree.js';
import type { Engine } from '../../lib/engine/engine-port.js';
import { openEngine } from '../../lib/engine/open-engine.js';
import { LABEL } from '../../lib/engine/labels.js';
import { BuildEvents, type StalkerEvent } from '../../lib/events/events.js';
import { build, type BuildSummary } from '../../lib/run/build.js';
import type { BuildSite } from '../../lib/run/build-engines.js';
import { makeProject, type TestProject } from './project.js';
import { tarballTree } from './tarball-tree.js';

export const engine = openEngine();

export interface BuildRun {
  summary: BuildSummary;
  events: StalkerEvent[];
}

export interface HarnessOptions {
  jobs?: number;
  keepGoing?: boolean;
  noCache?: boolean;
  rebuild?: string[];
  engine?: Engine;
  signal?: AbortSignal;
  onEvent?: (e: StalkerEvent) => void;
  cache?: SharedCacheOptions;
  /** Several engines (a site file's), routed per node. */
  site?: BuildSite;
}

export async function runBuild(project: TestProject, opts: HarnessOptions = {}): Promise<BuildRun> {
  clearHashMemo(); // files change between builds within one test process
  const tree = await loadTree(project.tree, { root: project.root });
  const events = new BuildEvents();
  const seen: StalkerEvent[] = [];
  events.on((e) => {
    seen.push(e);
    opts.onEvent?.(e);
  });
  const summary = await build({
    tree,
    engine: opts.engine ?? engine,
    events,
    jobs: opts.jobs ?? 2,
    keepGoing: !!opts.keepGoing,
    noCache: !!opts.noCache,
    rebuild: opts.rebuild ?? [],
    logsDir: join(project.root, 'logs'),
    cacheDir: join(project.root, '.stalker', 'caches'),
    signal: opts.signal ?? new AbortController().signal,
    ...(opts.cache ? { cache: opts.cache } : {}),
    ...(opts.site ? { site: opts.site } : {}),
  });
  return { summary, events: seen };
}

export const ran = (r: BuildRun) =>
  r.events.filter((e) => e.type === 'step-done').map((e) => `${(e as { node: string }).node}:${(e as { step: string }).step}`);
export const cached = (r: BuildRun) =>
  r.events.filter((e) => e.type === 'step-cached').map((e) => `${(e as { node: string }).node}:${(e as { step: string }).step}`);

/** Removes every image and container a test tree made. */
export async function removeTreeArtifacts(tree: string): Promise<void> {
  for (const c of await engine.containers.list({ [LABEL.tree]: tree })) await engine.containers.remove(c.id);
  const images = await engine.images.list({ [LABEL.tree]: tree });
  for (const i of images.sort((a, b) => b.created - a.created)) {
    for (const t of i.tags) await engine.images.remove(t);
    await engine.images.remove(i.id);
  }
}

/** Fails the test with the build's own error messages rather than a bare `false`. */
export function expectOk(r: BuildRun): void {
  if (!r.summary.ok) throw new Error(`build failed:\n${r.summary.errors.map((e) => (e instanceof Error ? e.stack : String(e))).join('\n')}`);
}

/**
 * Imports the busybox root into the engine (a build of a tree holding only that root), so a test
 * that asserts on its own steps sees the shared root as cached, as on any engine that ran a test
 * before, and not as the first thing to run, as on a fresh engine.
 */
export async function importBusyboxRoot(arch: 'amd64' | 'arm64' = 'amd64'): Promise<void> {
  const name = `warm${arch}`;
  const project = makeProject(name, { [`trees/${name}/${name}.hjson`]: tarballTree('', { arch }) });
  try {
    expectOk(await runBuild(project));
  } finally {
    project.cleanup();
  }
}

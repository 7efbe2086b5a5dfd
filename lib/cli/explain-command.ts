// `stalker explain <node>` and `stalker plan`: what a build would do, without running anything:
// each step cached, will run (and which key part changed) or blocked (and behind what).
import { ImageIndex } from '../cache/image-index.js';
import { expectedTags } from '../plan/expected-tags.js';
import { RemoteCache } from '../cache/remote-cache.js';
import { paletteFor } from '../events/color.js';
import { StalkerError } from '../errors.js';
import { type EngineProbe, planTree } from '../plan/plan.js';
import { routeTree } from '../plan/route.js';
import { engineFailed, fillPlatforms } from '../run/build-engines.js';
import { forcedNodes } from '../plan/probe.js';
import { sharableKeys } from '../plan/shared-keys.js';
import { treeKeys } from '../plan/tree-keys.js';
import { formatPlan } from '../plan/plan-format.js';
import { type CacheFlags, openSite } from './cache-flags.js';
import { openProject } from './project.js';

export interface PlanFlags extends CacheFlags {
  config?: string;
  json?: boolean;
  'no-cache'?: boolean;
  rebuild?: string[];
}

export async function explainCommand(flags: PlanFlags, node: string | undefined): Promise<number> {
  const project = await openProject(flags.config);
  if (node && !project.tree.nodes.has(node)) {
    throw new StalkerError('USAGE', `no node ${node} in tree ${project.tree.name} (nodes: ${[...project.tree.nodes.keys()].join(', ')})`);
  }
  for (const name of flags.rebuild ?? []) {
    if (!project.tree.nodes.has(name)) throw new StalkerError('USAGE', `--rebuild ${name}: no such node in tree ${project.tree.name}`);
  }
  const { engine, cache, site } = openSite(flags);
  const rebuild = new Set(flags.rebuild ?? []);
  // The same round of manifest HEADs a build makes: a step the registry holds shows as a remote hit.
  const remote = cache?.from ? new RemoteCache(engine, { from: cache.from, warn: (m) => process.stderr.write(`warning: ${m}\n`) }) : undefined;
  const forced = forcedNodes(project.tree, { noCache: !!flags['no-cache'], rebuild });
  const keys = treeKeys(project.tree, engine.executor);
  await remote?.classify(sharableKeys(keys, forced));
  const tags = expectedTags(project.tree, keys); // the build's index: the steps' tags when they hold their keys
  // With a site file: the build's routing, on each engine's own index.
  const engines = new Map<string, EngineProbe>();
  for (const e of site?.engines ?? []) {
    await fillPlatforms(e).catch((err: unknown) => Promise.reject(engineFailed(err, e)));
    engines.set(e.name, {
      engine: e.engine,
      index: await ImageIndex.forTree(e.engine, tags).catch((err: unknown) => Promise.reject(engineFailed(err, e))),
      remote,
    });
  }
  const routes = site
    ? routeTree(
        project.tree,
        keys,
        site.engines.map((e) => ({ ...e, jobs: e.jobs ?? 1, holds: (k: string) => !!engines.get(e.name)!.index.lookup(k) })),
        site.file,
      )
    : undefined;
  const plan = await planTree({
    tree: project.tree,
    engine,
    index: engines.values().next().value?.index ?? (await ImageIndex.forTree(engine, tags)),
    noCache: !!flags['no-cache'],
    rebuild,
    remote,
    ...(routes ? { routes, engines } : {}),
  });
  const shown = plan.filter((p) => !node || p.node === node);
  if (flags.json) {
    process.stdout.write(`${JSON.stringify(shown, null, 2)}\n`);
    return 0;
  }
  const lines = formatPlan(project.tree, shown, paletteFor(process.stdout));
  process.stdout.write(`${(node ? lines.slice(1) : lines).join('\n')}\n`);
  return 0;
}

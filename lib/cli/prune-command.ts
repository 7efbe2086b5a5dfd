// `stalker prune [--older-than DUR] [--tree NAME]... [--yes]`: removes our images and containers
// that no current tree of the project references. A dry run unless --yes. --tree limits what is
// looked at to images and containers labelled with those trees.
import { resolve } from 'node:path';
import { ImageIndex } from '../cache/image-index.js';
import { imageRepo, type RegistryAddress } from '../cache/registry-address.js';
import { deleteTag, listTags } from '../cache/registry-client.js';
import { decideRegistryPrune } from '../inspect/registry-prune.js';
import { sharableKeys } from '../plan/shared-keys.js';
import { treeKeys } from '../plan/tree-keys.js';
import { type CacheFlags, openSite } from './cache-flags.js';
import type { ContainerSummary, Engine, ImageSummary, Labels } from '../engine/engine-port.js';
import type { ResolvedTree } from '../config/types.js';
import { lockOf } from '../run/build-engines.js';
import { acquireBuildLock } from '../run/build-lock.js';
import { LABEL, TOOL } from '../engine/labels.js';
import { StalkerError } from '../errors.js';
import { processAlive } from '../util/process-alive.js';
import { loadProjectTrees } from '../inspect/project-trees.js';
import { decidePrune, parseDuration, type PruneItem } from '../inspect/prune-plan.js';
import { stepNamesOf } from '../plan/node-steps.js';
import { planTree } from '../plan/plan.js';

export interface PruneFlags extends CacheFlags {
  config?: string;
  'older-than'?: string;
  yes?: boolean;
  tree?: string[];
}

const mb = (n?: number) => (n ? ` ${(n / 1e6).toFixed(1)} MB` : '');

export async function pruneCommand(flags: PruneFlags): Promise<number> {
  let olderThan: number | undefined;
  try {
    olderThan = flags['older-than'] ? parseDuration(flags['older-than']) : undefined;
  } catch (err) {
    throw new StalkerError('USAGE', `--older-than: ${(err as Error).message}`);
  }
  const root = flags.config ? resolve(flags.config, '..', '..', '..') : process.cwd();
  const trees = await loadProjectTrees(root);
  const site = openSite(flags);
  const engine = site.engine;
  // The shared cache's retention: what --cache-to (else --cache-from, else the site's cache) holds.
  const registry = site.cache?.to ?? site.cache?.from;
  if (registry)
    await pruneRegistry(
      registry,
      trees.flatMap((t) => sharableKeys(treeKeys(t, engine.executor), new Map())),
      !!flags.yes,
    );
  // Removing while a build of one of these trees runs could take an image it is about to reuse:
  // --yes holds every tree's build lock (as a build takes it) until it is done.
  const unlocks: (() => Promise<void>)[] = [];
  try {
    if (flags.yes) {
      const on = site.site ? lockOf(site.site.engines[0]) : undefined;
      for (const repository of [...new Set(trees.map((t) => t.repository))].sort())
        unlocks.push(await acquireBuildLock(repository, { run: `prune-${process.pid}`, tree: 'stalker prune' }, on));
    }
    return await pruneEngine(engine, trees, flags, olderThan);
  } finally {
    for (const unlock of unlocks.reverse()) await unlock();
  }
}

async function pruneEngine(engine: Engine, trees: ResolvedTree[], flags: PruneFlags, olderThan: number | undefined): Promise<number> {
  const index = await ImageIndex.load(engine);
  const planHits = new Set<string>();
  for (const tree of trees) {
    for (const node of await planTree({ tree, engine, index })) for (const s of node.steps) if (s.state === 'cached' && s.image) planHits.add(s.image);
  }
  const scopes: Labels[] = flags.tree?.length ? flags.tree.map((t) => ({ [LABEL.tool]: TOOL, [LABEL.tree]: t })) : [{ [LABEL.tool]: TOOL }];
  const images: ImageSummary[] = [];
  const containers: ContainerSummary[] = [];
  for (const scope of scopes) {
    images.push(...(await engine.images.list(scope)));
    containers.push(...(await engine.containers.list(scope)));
  }
  const decision = decidePrune({
    images,
    containers,
    planHits,
    olderThan,
    alive: processAlive,
    now: Date.now() / 1000,
    trees: trees.map((t) => ({ name: t.name, repository: t.repository, nodes: new Map([...t.nodes.values()].map((n) => [n.name, stepNamesOf(n)])) })),
  });
  const verb = flags.yes ? 'removing' : 'would remove';
  const show = (i: PruneItem) => process.stdout.write(`${verb} ${i.what}${mb(i.size)}: ${i.reason}\n`);
  decision.containers.forEach(show);
  decision.images.forEach(show);
  const scope = flags.tree?.length ? ` (trees ${flags.tree.join(', ')})` : '';
  if (!flags.yes) {
    process.stdout.write(
      `dry run${scope}: ${decision.containers.length} container(s), ${decision.images.length} image(s) to remove, ${decision.kept} image(s) kept; pass --yes to remove\n`,
    );
    return 0;
  }
  for (const c of decision.containers) await engine.containers.remove(c.id);
  let removed = 0;
  const refused: string[] = [];
  for (const i of decision.images) {
    await engine.images.remove(i.id);
    if (await engine.images.inspect(i.id)) refused.push(i.what);
    else removed++;
  }
  for (const what of refused) process.stdout.write(`kept ${what}: the engine refused (another image is built on it)\n`);
  process.stdout.write(`removed${scope} ${decision.containers.length} container(s), ${removed} image(s); ${decision.kept} image(s) kept\n`);
  return 0;
}

async function pruneRegistry(registry: RegistryAddress, current: string[], yes: boolean): Promise<void> {
  const repo = imageRepo(registry);
  let tags: string[];
  try {
    tags = await listTags(registry);
  } catch (err) {
    throw new StalkerError('ENGINE', `shared cache ${repo}: cannot list its tags: ${err instanceof Error ? err.message : String(err)}`, { cause: err });
  }
  const d = decideRegistryPrune(tags, new Set(current));
  for (const key of d.remove) process.stdout.write(`${yes ? 'removing' : 'would remove'} ${repo}:${key}: no current tree has this step key\n`);
  const tail = `${d.kept} key(s) kept${d.foreign ? `, ${d.foreign} tag(s) not step keys left alone` : ''}`;
  if (!yes) {
    process.stdout.write(`dry run: ${d.remove.length} tag(s) of ${repo} to remove, ${tail}; pass --yes to remove\n`);
    return;
  }
  for (const key of d.remove) {
    try {
      await deleteTag(registry, key);
    } catch (err) {
      throw new StalkerError('ENGINE', `shared cache ${repo}: ${err instanceof Error ? err.message : String(err)}`, { cause: err });
    }
  }
  // The registry frees the layers only when its garbage collector runs (on its host).
  process.stdout.write(
    `removed ${d.remove.length} tag(s) of ${repo}, ${tail}; free their layers with \`docker-registry garbage-collect CONFIG\` on the registry host\n`,
  );
}

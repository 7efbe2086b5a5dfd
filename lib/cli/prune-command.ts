// `stalker prune [--older-than DUR] [--tree NAME]... [--yes]`: removes our images and containers
// that no current tree of the project references. A dry run unless --yes. --tree limits what is
// looked at to images and containers labelled with those trees.
import { resolve } from 'node:path';
import { ImageIndex } from '../cache/image-index.js';
import { openEngine } from '../engine/open-engine.js';
import type { ContainerSummary, ImageSummary, Labels } from '../engine/engine-port.js';
import { LABEL, TOOL } from '../engine/labels.js';
import { StalkerError } from '../errors.js';
import { processAlive } from '../util/process-alive.js';
import { loadProjectTrees } from '../inspect/project-trees.js';
import { decidePrune, parseDuration, type PruneItem } from '../inspect/prune-plan.js';
import { stepNamesOf } from '../plan/node-steps.js';
import { planTree } from '../plan/plan.js';

export interface PruneFlags {
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
  const engine = openEngine();
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

// hjson tree + stalk files -> validated, fully resolved model. Every problem of the whole tree is
// collected and thrown as one ConfigError, so nothing starts until the config is right.
import { existsSync, readdirSync } from 'node:fs';
import { basename, dirname, join, resolve } from 'node:path';
import { ConfigError } from '../errors.js';
import { buildTreeGraph, findCycles, formatCycle, topologicalOrder } from '../graph/tree-graph.js';
import { resolveBootstrap, withStepEpoch } from './bootstrap.js';
import { hashCacheFile } from './file-hash-cache.js';
import { loadStalk, stalkFile } from './load-stalk.js';
import { repositoryProblem, nodeNameProblem, treeNameProblem } from './names.js';
import { checkCopies } from './node-copies.js';
import { nodeShape, type NodeShape } from './node-shape.js';
import { errnoText } from './path-kind.js';
import { locate, Problems } from './problems.js';
import type { RawTree } from './raw-types.js';
import { readHjson } from './read-hjson.js';
import { nodeSteps, nodeVars } from './resolve-node.js';
import { checkSchema } from './schema-check.js';
import type { StalkModel } from './stalk-model.js';
import { didYouMean } from './suggest.js';
import { sysrootMounts } from './sysroot.js';
import { flattenNodes, type NodeEntry } from './tree-nodes.js';
import type { Platform, ResolvedNode, ResolvedTree } from './types.js';
import { writerOptions } from './writer-options.js';

export interface LoadTreeOptions {
  /** Project root holding stalks/, plugins/, sysroot/; default: two directories above the tree file. */
  root?: string;
}

const MAX_NODES = 1000;

export async function loadTree(treeFile: string, opts: LoadTreeOptions = {}): Promise<ResolvedTree> {
  const file = resolve(treeFile);
  const root = resolve(opts.root ?? join(dirname(file), '..', '..'));
  const problems = new Problems();
  const src = readHjson(file, problems);
  if (!src) return problems.throwIfAny() as never;
  const bad = checkSchema('tree', src, problems);
  const isBad = (ptr: string) => bad.some((b) => b === ptr || b.startsWith(`${ptr}/`));
  const raw = src.data as RawTree;
  if (!isObject(raw) || !isObject(raw.stalks)) return problems.throwIfAny() as never;

  const name = basename(file).replace(/\.hjson$/, '');
  const nameBad = treeNameProblem(name);
  if (nameBad) problems.add(file, undefined, nameBad);
  const repository = isBad('/repository') ? 'stalker' : (raw.repository ?? 'stalker');
  const repoBad = repositoryProblem(repository);
  if (repoBad) problems.at(src, '/repository', repoBad, 'value');
  const treePlatform = (isBad('/platform') ? undefined : raw.platform) ?? 'linux/amd64';
  const treeVars = isBad('/vars') ? {} : (raw.vars ?? {});

  const all = flattenNodes(raw.stalks);
  // graph algorithms recurse along dependency chains; far beyond any real image, still a bound
  if (all.length > MAX_NODES) {
    problems.at(src, '/stalks', `${all.length} nodes: a tree has at most ${MAX_NODES}`);
    return problems.throwIfAny() as never;
  }
  const known = new Set<string>();
  for (const e of all) {
    const why = nodeNameProblem(e.name);
    if (why) problems.at(src, e.pointer, why);
    if (known.has(e.name)) problems.at(src, e.pointer, `duplicate node name "${e.name}"`);
    known.add(e.name);
  }
  // a node that is not even an object is a schema problem already; its name still counts as known
  const entries = all.filter((e) => isObject(e.raw));
  const shapes = new Map<string, NodeShape>(entries.map((e) => [e.name, nodeShape(e, known, src, problems, isBad)]));

  // A node runs on its own platform, else its parent's, else the tree's.
  const platforms = new Map<string, Platform>();
  const platformOf = (e: NodeEntry, seen = new Set<string>()): Platform => {
    const hit = platforms.get(e.name);
    if (hit) return hit;
    const own = isBad(`${e.pointer}/platform`) ? undefined : e.raw.platform;
    const parent = entries.find((x) => x.name === shapes.get(e.name)?.from);
    seen.add(e.name);
    const p = (own ?? (parent && !seen.has(parent.name) ? platformOf(parent, seen) : treePlatform)) as Platform;
    platforms.set(e.name, p);
    return p;
  };

  const sysroot = sysrootMounts(root, problems);
  const stalks = new Map<string, StalkModel | undefined>();
  const stalkNames = listStalks(root, problems);
  const nodes = new Map<string, ResolvedNode>();
  for (const e of entries) {
    const shape = shapes.get(e.name) as NodeShape;
    const platform = platformOf(e);
    const node: ResolvedNode = {
      name: e.name,
      from: shape.from,
      needs: shape.needs,
      copies: shape.copies,
      platform,
      vars: {},
      steps: [],
      source: { file, line: locate(src, e.pointer)?.line },
    };
    nodes.set(e.name, node);
    const r = e.raw;
    if (!shape.complete) {
      // its own fields have a schema problem, but its stalk's problems are still worth reporting now
      const named = isBad(`${e.pointer}/stalk`) || typeof r.stalk !== 'string' ? undefined : r.stalk;
      if (named && stalkNames.includes(named) && !stalks.has(named)) stalks.set(named, loadStalk(root, named, problems));
      continue;
    }
    const parentPlatform = shape.from && r.writer === undefined && platforms.get(shape.from);
    if (r.platform && parentPlatform && parentPlatform !== platform)
      problems.at(src, `${e.pointer}/platform`, `node "${e.name}": platform ${platform} differs from its parent "${shape.from}" (${parentPlatform})`);
    if (r.bootstrap && r.from === undefined && !e.nestedIn) {
      const b = resolveBootstrap(r.bootstrap, platform, dirname(file), hashCacheFile(root));
      if ('bootstrap' in b) node.bootstrap = b.bootstrap;
      else problems.at(src, `${e.pointer}/bootstrap/${b.field}`, `node "${e.name}": ${b.message}`);
    }
    if (r.writer !== undefined) {
      node.writer = { options: writerOptions(e, treeVars, src, problems) };
      continue;
    }
    const stalkName = r.stalk ?? (existsSync(stalkFile(root, e.name)) ? e.name : undefined);
    if (stalkName === undefined) {
      // an unknown key (say a misspelt "stalk") is already reported: do not pile on
      if (r.bootstrap === undefined && !isBad(e.pointer))
        problems.at(src, e.pointer, `node "${e.name}": no stalk to run: set stalk, or create ${stalkFile(root, e.name)}`);
      continue;
    }
    if (!stalkNames.includes(stalkName)) {
      problems.at(
        src,
        `${e.pointer}/stalk`,
        `node "${e.name}": unknown stalk "${stalkName}" (no ${stalkFile(root, stalkName)})${didYouMean(stalkName, stalkNames)}`,
      );
      continue;
    }
    if (!stalks.has(stalkName)) stalks.set(stalkName, loadStalk(root, stalkName, problems));
    const stalk = stalks.get(stalkName);
    if (!stalk) continue;
    node.stalk = { name: stalk.name, file: stalk.file };
    const vars = isBad(`${e.pointer}/vars`) ? undefined : nodeVars(e, treeVars, stalk, src, root, problems);
    if (!vars) continue;
    node.vars = vars;
    node.steps = nodeSteps(e.name, stalk, vars, sysroot, shape.copies);
    if (node.bootstrap) {
      const b = withStepEpoch(node.bootstrap, node.steps[0]?.env);
      if ('kind' in b) node.bootstrap = b;
      else problems.at(src, `${e.pointer}/stalk`, `node "${e.name}": ${b.message}`);
    }
  }
  checkCopies(nodes, (n) => (entries.find((x) => x.name === n) as NodeEntry).pointer, src, problems);

  const graph = buildTreeGraph(nodes.values());
  for (const cycle of findCycles(graph)) {
    const e = entries.find((x) => x.name === cycle[1]) as NodeEntry;
    problems.at(src, e.pointer, `dependency cycle: ${formatCycle(cycle)}`);
  }
  problems.throwIfAny();
  return { name, file, root, repository, platform: treePlatform as Platform, nodes, order: topologicalOrder(graph) };
}

function isObject(x: unknown): x is Record<string, never> {
  return typeof x === 'object' && x !== null && !Array.isArray(x);
}

function listStalks(root: string, problems: Problems): string[] {
  const dir = join(root, 'stalks');
  if (!existsSync(dir)) return [];
  try {
    return readdirSync(dir).filter((n) => existsSync(stalkFile(root, n)));
  } catch (e) {
    problems.add(dir, undefined, errnoText(dir, e));
    return [];
  }
}

export { ConfigError };

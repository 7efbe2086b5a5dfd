// Which engine runs each node: a plan decision, taken before anything runs, from the site's engines
// (what they run natively, what they emulate, their jobs) and what each already holds.
//  - Platform is a hard constraint: an engine running the node's platform natively is preferred;
//    only when none is declared may an engine that emulates it take the node; none: an error
//    naming the node (positioned) and the engines, never a silent fallback.
//  - A node's steps all run on one engine (its chain of images stays there).
//  - Among the eligible: the one holding most of the node's steps, then the one holding its
//    parent's image, then the least loaded (nodes routed there per job), then the site's order.
import type { ResolvedTree } from '../config/types.js';
import { ConfigError, type ConfigProblem } from '../errors.js';
import { jobsOf } from './jobs.js';
import type { NodeKeys } from './tree-keys.js';

export interface RoutableEngine {
  name: string;
  platforms: string[]; // native
  emulates: string[];
  jobs: number;
  /** Whether the engine holds an image of this step key. */
  holds(key: string): boolean;
}

export type RouteHow = 'native' | 'emulated' | 'only';

export interface Route {
  engine: string;
  /** native/emulated: chosen by the site's platforms; only: the single engine of a run without a site file. */
  how: RouteHow;
}

export type Routes = ReadonlyMap<string, Route>;

/** Without a site file: today's one engine takes every node (its platforms are not declared). */
export function singleRoute(tree: ResolvedTree, engine: string): Routes {
  return new Map([...tree.nodes.keys()].map((n) => [n, { engine, how: 'only' as const }]));
}

export function routeTree(tree: ResolvedTree, keys: ReadonlyMap<string, NodeKeys>, engines: readonly RoutableEngine[], site: string): Routes {
  const routes = new Map<string, Route>();
  const load = new Map(engines.map((e) => [e.name, 0]));
  const problems: ConfigProblem[] = [];
  for (const { name } of jobsOf(tree)) {
    const node = tree.nodes.get(name)!;
    const native = engines.filter((e) => e.platforms.includes(node.platform));
    const tier = native.length ? native : engines.filter((e) => e.emulates.includes(node.platform));
    if (!tier.length) {
      problems.push({
        file: node.source.file,
        ...(node.source.line ? { line: node.source.line } : {}),
        message: `node ${name}: no engine of ${site} runs ${node.platform}, natively or emulated (${engines.map(describe).join('; ')})`,
      });
      continue;
    }
    const steps = keys.get(name)!.steps;
    const held = (e: RoutableEngine) => steps.reduce((n, s, i) => (e.holds(s.key) ? i + 1 : n), 0);
    const parentFinal = node.from ? keys.get(node.from)?.final : undefined;
    const hasParent = (e: RoutableEngine) => (!!node.from && routes.get(node.from)?.engine === e.name) || (!!parentFinal && e.holds(parentFinal));
    const busy = (e: RoutableEngine) => load.get(e.name)! / Math.max(1, e.jobs);
    const best = [...tier].sort((a, b) => held(b) - held(a) || Number(hasParent(b)) - Number(hasParent(a)) || busy(a) - busy(b))[0];
    routes.set(name, { engine: best.name, how: native.length ? 'native' : 'emulated' });
    load.set(best.name, load.get(best.name)! + 1);
  }
  if (problems.length) throw new ConfigError(problems);
  return routes;
}

function describe(e: RoutableEngine): string {
  const list = (l: string[]) => (l.length ? l.join(', ') : 'nothing');
  return `${e.name}: native ${list(e.platforms)}, emulates ${list(e.emulates)}`;
}

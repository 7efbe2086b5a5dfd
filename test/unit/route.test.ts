// Routing (lib/plan/route.ts): platform is a hard constraint (native first, then an engine that
// emulates, else a positioned error), a node's steps stay on one engine, and among the eligible
// the engine holding the node's images, then its parent's, then the least loaded wins.
import type { ResolvedTree } from '../../lib/config/types.js';
import { ConfigError } from '../../lib/errors.js';
import { type RoutableEngine, routeTree } from '../../lib/plan/route.js';
import { treeKeys } from '../../lib/plan/tree-keys.js';
import { type FakeProject, fakeProject } from '../support/fake-tree.js';

let project: FakeProject;
beforeAll(async () => {
  project = await fakeProject('routet');
});
afterAll(() => project.cleanup());

const engine = (name: string, platforms: string[], emulates: string[] = [], holds: string[] = [], jobs = 1): RoutableEngine => ({
  name,
  platforms,
  emulates,
  jobs,
  holds: (k) => holds.includes(k),
});

function mixed(): ResolvedTree {
  return project.tree({
    base: { bootstrap: 'tarball', steps: [{ name: 'one', run: 'true' }] },
    app: { from: 'base', steps: [{ name: 'two', run: 'true' }] },
    arm: { bootstrap: 'tarball', platform: 'linux/arm64', steps: [{ name: 'three', run: 'true' }] },
    armapp: { from: 'arm', platform: 'linux/arm64', steps: [{ name: 'four', run: 'true' }] },
  });
}

test('native engines take their platform; an emulating one only when no native engine is declared', () => {
  const tree = mixed();
  const keys = treeKeys(tree, 'docker');
  const a = engine('a', ['linux/amd64'], ['linux/arm64']);
  const b = engine('b', ['linux/arm64']);
  const routes = routeTree(tree, keys, [a, b], 'site.hjson');
  expect(Object.fromEntries([...routes].map(([n, r]) => [n, `${r.engine}/${r.how}`]))).toEqual({
    base: 'a/native',
    app: 'a/native',
    arm: 'b/native',
    armapp: 'b/native',
  });
  const alone = routeTree(tree, keys, [a], 'site.hjson');
  expect(alone.get('arm')).toEqual({ engine: 'a', how: 'emulated' });
});

test('no engine for a platform: a positioned error naming the node and the engines, nothing guessed', () => {
  const tree = mixed();
  let err: unknown;
  try {
    routeTree(tree, treeKeys(tree, 'docker'), [engine('a', ['linux/amd64'])], 'site.hjson');
  } catch (e) {
    err = e;
  }
  expect(err).toBeInstanceOf(ConfigError);
  const problems = (err as ConfigError).problems;
  expect(problems.map((p) => p.message)).toEqual([
    'node arm: no engine of site.hjson runs linux/arm64, natively or emulated (a: native linux/amd64, emulates nothing)',
    'node armapp: no engine of site.hjson runs linux/arm64, natively or emulated (a: native linux/amd64, emulates nothing)',
  ]);
  expect(problems[0].file).toBe(tree.nodes.get('arm')!.source.file);
});

test('among the eligible: the engine holding the node, then its parent, then the least loaded', () => {
  const tree = mixed();
  const keys = treeKeys(tree, 'docker');
  const appKey = keys.get('app')!.final;
  const baseKey = keys.get('base')!.final;
  // c holds app's image: app goes there though its parent is routed to a.
  let routes = routeTree(tree, keys, [engine('a', ['linux/amd64', 'linux/arm64']), engine('c', ['linux/amd64'], [], [appKey])], 's');
  expect(routes.get('app')?.engine).toBe('c');
  // Nothing held: app follows its parent (a), arm goes to the less loaded c... which cannot run arm64.
  routes = routeTree(tree, keys, [engine('a', ['linux/amd64', 'linux/arm64']), engine('c', ['linux/amd64'])], 's');
  expect(routes.get('base')?.engine).toBe('a');
  expect(routes.get('app')?.engine).toBe('a');
  // Load: two engines of one platform share independent roots.
  routes = routeTree(tree, keys, [engine('a', ['linux/amd64', 'linux/arm64']), engine('d', ['linux/amd64', 'linux/arm64'], [], [baseKey])], 's');
  expect(routes.get('base')?.engine).toBe('d');
  expect(routes.get('app')?.engine).toBe('d');
  expect(routes.get('arm')?.engine).toBe('a');
  expect(routes.get('armapp')?.engine).toBe('a');
});

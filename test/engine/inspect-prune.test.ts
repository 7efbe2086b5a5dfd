// `stalker prune` against the real engine, always scoped to this test's own trees (--tree), so it
// never touches other trees' images: a dry run lists superseded builds, images of removed nodes and
// leftover containers and removes nothing; --older-than spares recent ones; --yes removes them and
// the current trees stay fully cached.
import { spawnSync } from 'node:child_process';
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { LABEL, TOOL } from '../../lib/engine/labels.js';
import { lockDir } from '../../lib/run/build-lock.js';
import { engine, removeTreeArtifacts } from '../support/build-harness.js';
import { makeProject, type TestProject } from '../support/project.js';
import { tarballTree } from '../support/tarball-tree.js';

const A = `inspprunea${process.pid}`;
const B = `insppruneb${process.pid}`;
const STALKER = join(process.cwd(), 'bin', 'stalker');
let project: TestProject;
const treePath = (t: string) => join(project.root, 'trees', t, `${t}.hjson`);

const treeA = (withGone: boolean) =>
  tarballTree(
    `
  keep: { from: "base", stalk: "keep" }
  ${withGone ? 'gone: { from: "base", stalk: "gone" }' : ''}
`,
    { repository: A },
  );

beforeAll(() => {
  project = makeProject(A, {
    [`trees/${A}/${A}.hjson`]: treeA(true),
    [`trees/${B}/${B}.hjson`]: tarballTree('other: { from: "base", stalk: "other" }', { repository: B }),
    'stalks/keep/keep.hjson': `{ steps: [ { name: "k", run: "echo keep v1 ${A} > /k" } ] }`,
    'stalks/gone/gone.hjson': `{ steps: [ { name: "g", run: "echo gone ${A} > /g" } ] }`,
    'stalks/other/other.hjson': `{ steps: [ { name: "o", run: "echo other ${B} > /o" } ] }`,
  });
  for (const t of [A, B]) {
    const r = spawnSync(STALKER, ['--config', treePath(t)], { encoding: 'utf8' });
    if (r.status !== 0) throw new Error(`build of ${t} failed: ${r.stdout}${r.stderr}`);
  }
  project.write('stalks/keep/keep.hjson', `{ steps: [ { name: "k", run: "echo keep v2 ${A} > /k" } ] }`);
  project.write(`trees/${A}/${A}.hjson`, treeA(false));
  const r = spawnSync(STALKER, ['--config', treePath(A)], { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`rebuild of ${A} failed: ${r.stdout}${r.stderr}`);
}, 120_000);

afterAll(async () => {
  await removeTreeArtifacts(A);
  await removeTreeArtifacts(B);
  project.cleanup();
});

const prune = (...args: string[]) => spawnSync(STALKER, ['prune', '--config', treePath(A), '--tree', A, ...args], { encoding: 'utf8' });
const ids = async (tree: string) => (await engine.images.list({ [LABEL.tree]: tree })).map((i) => i.id).sort();

let leftover = '';

test('a dry run lists what no current tree references and removes nothing', async () => {
  const base = (await engine.images.list({ [LABEL.tool]: TOOL })).find((i) => i.tags.includes(`${A}/base:bootstrap`))!;
  leftover = await engine.containers.create({
    image: base.id,
    platform: 'linux/amd64',
    cmd: ['true'],
    binds: [],
    labels: { [LABEL.tool]: TOOL, [LABEL.tree]: A, [LABEL.node]: 'keep', [LABEL.step]: 'k', [LABEL.pid]: '999999999', [LABEL.run]: 'killed' },
  });
  const before = await ids(A);
  const r = prune();
  expect(r.status).toBe(0);
  expect(r.stdout).toMatch(/would remove container [0-9a-f]{12} \(keep:k, created\) .*: left by a run that is gone/);
  expect(r.stdout).toMatch(new RegExp(`would remove ${A}/gone:final .*: node gone is no longer in tree ${A}`));
  expect(r.stdout).toMatch(/would remove keep:k \(untagged\) .*: superseded build: no current step would reuse it/);
  expect(r.stdout).not.toContain(B);
  expect(r.stdout).not.toMatch(/would remove .*(base|keep:k \[)/);
  expect(r.stdout).toMatch(/dry run \(trees .*\): 1 container\(s\), 2 image\(s\) to remove, \d+ image\(s\) kept; pass --yes to remove/);
  expect(await ids(A)).toEqual(before);
  expect((await engine.containers.list({ [LABEL.tree]: A })).map((c) => c.id)).toEqual([leftover]);
}, 60_000);

test('--older-than spares what is younger', () => {
  const r = prune('--older-than', '1h');
  expect(r.stdout).toMatch(/0 container\(s\), 0 image\(s\) to remove/);
  expect(prune('--older-than', 'soon').stderr).toMatch(/--older-than: not a duration: soon/);
}, 60_000);

test('--yes while a build of one of the trees holds its lock: nothing is removed and the holder is named', async () => {
  const before = await ids(A);
  const lock = join(lockDir(), `${A}.lock`);
  mkdirSync(lockDir(), { recursive: true });
  writeFileSync(lock, JSON.stringify({ pid: process.pid, run: 'r-test', tree: A, started: new Date().toISOString() }));
  try {
    const r = prune('--yes');
    expect(r.status).not.toBe(0);
    expect(r.stderr).toMatch(new RegExp(`repository ${A} is being built by pid ${process.pid} \\(run r-test`));
    expect(await ids(A)).toEqual(before);
  } finally {
    rmSync(lock, { force: true });
  }
}, 60_000);

test('--yes removes them; the current trees stay cached and the other tree is untouched', async () => {
  const other = await ids(B);
  const r = prune('--yes');
  expect(r.status).toBe(0);
  expect(r.stdout).toMatch(/removed \(trees .*\) 1 container\(s\), 2 image\(s\)/);
  expect(await engine.containers.list({ [LABEL.tree]: A })).toEqual([]);
  expect(await ids(B)).toEqual(other);
  expect(prune().stdout).toMatch(/0 container\(s\), 0 image\(s\) to remove/);
  for (const t of [A, B]) {
    const plan = spawnSync(STALKER, ['plan', '--config', treePath(t)], { encoding: 'utf8' });
    expect(plan.stdout.split('\n')[0]).toMatch(/ 0 will run, 0 blocked$/);
  }
}, 60_000);

test('a tree that does not load stops prune: what it references is unknown', () => {
  project.write('trees/broken/broken.hjson', '{ stalks: { x: { from: "nowhere" } } }');
  const r = prune();
  expect(r.status).toBe(2);
  expect(r.stderr).toMatch(/tree .*broken\.hjson does not load, so what it references is unknown; fix it first/);
}, 30_000);

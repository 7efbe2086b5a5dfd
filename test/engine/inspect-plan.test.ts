// `stalker plan` against the real engine: after a build, each kind of change makes the plan name
// exactly the key part that changed (parent, script, var, file, mount, need); keys chain, so a step
// behind one that will run is known to run too (its parent step changed); the CLI prints all of it.
import { spawnSync } from 'node:child_process';
import { ImageIndex } from '../../lib/cache/image-index.js';
import { clearHashMemo } from '../../lib/config/content-hash.js';
import { loadTree } from '../../lib/config/load-tree.js';
import { planTree, type PlannedNode } from '../../lib/plan/plan.js';
import { engine, expectOk, importBusyboxRoot, removeTreeArtifacts, runBuild } from '../support/build-harness.js';
import { makeProject, type TestProject } from '../support/project.js';
import { tarballTree } from '../support/tarball-tree.js';

const TREE = `inspplan${process.pid}`;
const REPO = `inspplan${process.pid}`;
const STALKER = `${process.cwd()}/bin/stalker`;
let project: TestProject;

const treeFile = (opts: { withC?: boolean; who?: string } = {}) =>
  tarballTree(
    `
  p: { from: "base", stalk: "p" }
  n: { from: "base", stalk: "n" }
  ${opts.withC === false ? '' : 'c: { from: "p", stalk: "c", needs: ["n"] }'}
`,
    { vars: `who: "${opts.who ?? 'world'}"`, repository: REPO },
  );

const writeTree = (opts: { withC?: boolean; who?: string } = {}) => project.write(`trees/${TREE}/${TREE}.hjson`, treeFile(opts));

beforeAll(() => {
  project = makeProject(TREE, {
    [`trees/${TREE}/${TREE}.hjson`]: treeFile(),
    'stalks/p/p.hjson': `{ steps: [ { name: "make", run: "echo p1 ${TREE} > /p" }, { name: "more", run: "echo more >> /p" } ] }`,
    'stalks/n/n.hjson': `{ steps: [ { name: "make", run: "echo n1 ${TREE} > /n" } ] }`,
    'stalks/c/c.hjson': `{
      vars: { who: null }
      files: [ { src: "greet.txt", dest: "/etc/greet.txt" } ]
      mounts: [ { src: "data", dest: "/data" } ]
      steps: [ { name: "use", run: "cat /etc/greet.txt /data/x /p > /out; echo $who >> /out" } ]
    }`,
    'stalks/c/greet.txt': 'hello\n',
    'stalks/c/data/x': 'x1\n',
  });
});

// the root is cached on an engine that ran any test before; make it so on a fresh one too
beforeAll(() => importBusyboxRoot(), 120_000);

afterAll(async () => {
  await removeTreeArtifacts(TREE);
  project.cleanup();
});

async function plan(): Promise<PlannedNode[]> {
  clearHashMemo();
  const tree = await loadTree(project.tree, { root: project.root });
  return planTree({ tree, engine, index: await ImageIndex.load(engine) });
}

const step = (p: PlannedNode[], target: string) => {
  const [node, name] = target.split(':');
  return p.find((x) => x.node === node)!.steps.find((s) => s.step === name)!;
};

const cli = (...args: string[]) => spawnSync(STALKER, [...args, '--config', project.tree], { encoding: 'utf8', env: { ...process.env, NO_COLOR: '1' } });

test('before any build: every step is never built, each with its key already known', async () => {
  const p = await plan();
  expect(step(p, 'base:bootstrap')).toMatchObject({ state: 'cached' });
  expect(step(p, 'p:make')).toMatchObject({ state: 'run', reasons: [{ part: 'never-built' }] });
  expect(step(p, 'p:more')).toMatchObject({ state: 'run', reasons: [{ part: 'never-built' }] });
  expect(step(p, 'c:use')).toMatchObject({ state: 'run', reasons: [{ part: 'never-built' }] });
  expect(step(p, 'c:use').key).toMatch(/^[0-9a-f]{64}$/);
}, 60_000);

test('after a build everything is cached', async () => {
  expectOk(await runBuild(project));
  const p = await plan();
  expect(p.flatMap((n) => n.steps).every((s) => s.state === 'cached')).toBe(true);
  expect(p.map((n) => n.node)).toEqual(['base', 'p', 'n', 'c']); // DAG order
}, 60_000);

test('script: the changed step will run for its script; the steps after it for their parent step', async () => {
  project.write('stalks/p/p.hjson', `{ steps: [ { name: "make", run: "echo p2 ${TREE} > /p" }, { name: "more", run: "echo more >> /p" } ] }`);
  const p = await plan();
  expect(step(p, 'p:make')).toMatchObject({ state: 'run', reasons: [{ part: 'script' }] });
  expect(step(p, 'p:more')).toMatchObject({ state: 'run', reasons: [{ part: 'parent' }] });
  expect(step(p, 'c:use')).toMatchObject({ state: 'run', reasons: [{ part: 'parent' }] });
  expect(step(p, 'n:make').state).toBe('cached');
  project.write('stalks/p/p.hjson', `{ steps: [ { name: "make", run: "echo p1 ${TREE} > /p" }, { name: "more", run: "echo more >> /p" } ] }`);
}, 30_000);

test('var: names the variable with its old and new value', async () => {
  writeTree({ who: 'you' });
  const p = await plan();
  expect(step(p, 'c:use')).toMatchObject({ state: 'run', reasons: [{ part: 'var', name: 'who', before: 'world', after: 'you' }] });
  expect(step(p, 'p:make').state).toBe('cached');
  writeTree();
}, 30_000);

test('file: names the copied file', async () => {
  project.write('stalks/c/greet.txt', 'hi\n');
  const p = await plan();
  expect(step(p, 'c:use')).toMatchObject({ state: 'run', reasons: [{ part: 'file', name: 'copy:/etc/greet.txt' }] });
  project.write('stalks/c/greet.txt', 'hello\n');
}, 30_000);

test('mount: names the mount target whose content changed', async () => {
  project.write('stalks/c/data/x', 'x2\n');
  const p = await plan();
  expect(step(p, 'c:use')).toMatchObject({ state: 'run', reasons: [{ part: 'mount', name: '/data' }] });
  project.write('stalks/c/data/x', 'x1\n');
  expect(step(await plan(), 'c:use').state).toBe('cached');
}, 30_000);

test('parent: a parent rebuilt without its child makes the child run for its parent alone', async () => {
  project.write('stalks/p/p.hjson', `{ steps: [ { name: "make", run: "echo p3 ${TREE} > /p" }, { name: "more", run: "echo more >> /p" } ] }`);
  writeTree({ withC: false });
  expectOk(await runBuild(project));
  writeTree();
  const p = await plan();
  expect(step(p, 'p:more').state).toBe('cached');
  expect(step(p, 'c:use')).toMatchObject({ state: 'run', reasons: [{ part: 'parent' }] });
}, 60_000);

test('need: a needed node rebuilt makes the needing step run, naming the need', async () => {
  expectOk(await runBuild(project)); // c on the new parent
  project.write('stalks/n/n.hjson', `{ steps: [ { name: "make", run: "echo n2 ${TREE} > /n" } ] }`);
  writeTree({ withC: false });
  expectOk(await runBuild(project));
  writeTree();
  const p = await plan();
  expect(step(p, 'c:use')).toMatchObject({ state: 'run', reasons: [{ part: 'need', name: 'n' }] });
  // A need that will itself run changes the needing step's key before it has run.
  project.write('stalks/n/n.hjson', `{ steps: [ { name: "make", run: "echo n3 ${TREE} > /n" } ] }`);
  expect(step(await plan(), 'c:use')).toMatchObject({ state: 'run', reasons: [{ part: 'need', name: 'n' }] });
  expect(cli('explain', 'c').stdout).toMatch(/▶ use +will run: needed node n changed/);
  project.write('stalks/n/n.hjson', `{ steps: [ { name: "make", run: "echo n2 ${TREE} > /n" } ] }`);
}, 90_000);

test('the CLI prints DAG order, states and reasons; explain keeps one node; --json is the same plan', async () => {
  writeTree({ who: 'you' });
  const r = cli('plan');
  expect(r.stderr).toBe('');
  expect(r.status).toBe(0);
  const lines = r.stdout.split('\n');
  expect(lines[0]).toMatch(new RegExp(`^plan of tree ${TREE} \\(repository ${REPO}\\): 4 nodes, 5 steps — 4 cached, 1 will run, 0 blocked$`));
  expect(lines.filter((l) => /^\S/.test(l)).map((l) => l.split(' ')[0])).toEqual(['plan', 'base', 'p', 'n', 'c']);
  expect(r.stdout).toContain('c  from p · needs n · linux/amd64');
  expect(r.stdout).toMatch(/▶ use +will run: var who changed \(world -> you\), needed node n changed/);
  expect(r.stdout).toMatch(/◆ bootstrap +cached [0-9a-f]{12}/);
  const e = cli('explain', 'c');
  expect(e.stdout.split('\n')[0]).toBe('c  from p · needs n · linux/amd64');
  expect(e.stdout).not.toContain('bootstrap');
  const j = JSON.parse(cli('plan', '--json').stdout) as PlannedNode[];
  expect(j.find((n) => n.node === 'c')!.steps[0]).toMatchObject({
    state: 'run',
    reasons: [
      { part: 'var', name: 'who' },
      { part: 'need', name: 'n' },
    ],
  });
  writeTree();
}, 60_000);

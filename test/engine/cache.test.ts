// Cache behaviour against the real engine: a rerun runs nothing; each key part, when changed,
// makes exactly the affected steps run again.
import { execFileSync } from 'node:child_process';
import { makeProject, type TestProject } from '../support/project.js';
import { tarballTree } from '../support/tarball-tree.js';
import { cached, expectOk, ran, removeTreeArtifacts, runBuild } from '../support/build-harness.js';

const TREE = `cachet${process.pid}`;
let project: TestProject;

beforeAll(() => {
  project = makeProject(TREE, {
    [`trees/${TREE}/${TREE}.hjson`]: treeWith('hello'),
    'stalks/app/app.hjson': `{
      vars: { greeting: null }
      mounts: [ { src: "data", dest: "/data" } ]
      steps: [
        { name: "one", run: "echo \\"$greeting\\" > /one" }
        { name: "two", script: "two.sh" }
        { name: "three", run: "cat /data/x > /three" }
      ]
    }`,
    'stalks/app/two.sh': '#!/bin/sh -e\necho two > /two\n',
    'stalks/app/data/x': 'x1\n',
    'stalks/leaf/leaf.hjson': '{ steps: [ { name: "end", run: "cat /one /two /three > /end" } ] }',
  });
});

afterAll(async () => {
  await removeTreeArtifacts(TREE);
  project.cleanup();
});

test('first build runs every step and commits tagged images', async () => {
  const r = await runBuild(project);
  expectOk(r);
  // The busybox root may already be in the engine from another tree: its key is its content.
  expect(ran(r).filter((s) => s !== 'base:bootstrap')).toEqual(['app:one', 'app:two', 'app:three', 'leaf:end']);
  const out = execFileSync('docker', ['run', '--rm', 'stalkertest/leaf:final', 'cat', '/end'], { encoding: 'utf8' });
  expect(out).toBe('hello\ntwo\nx1\n');
  const tags = execFileSync('docker', ['images', '--format', '{{.Repository}}:{{.Tag}}', 'stalkertest/app'], { encoding: 'utf8' });
  expect(tags.split('\n').sort()).toEqual(
    expect.arrayContaining(['stalkertest/app:one', 'stalkertest/app:two', 'stalkertest/app:three', 'stalkertest/app:final']),
  );
}, 60_000);

test('rerun of an unchanged tree runs nothing', async () => {
  const r = await runBuild(project);
  expectOk(r);
  expect(ran(r)).toEqual([]);
  expect(cached(r)).toHaveLength(5);
}, 30_000);

test('a changed script reruns that step and everything after it', async () => {
  project.write('stalks/app/two.sh', '#!/bin/sh -e\necho TWO > /two\n');
  const r = await runBuild(project);
  expect(ran(r)).toEqual(['app:two', 'app:three', 'leaf:end']);
  const start = r.events.find((e) => e.type === 'step-start' && e.step === 'two');
  expect(start).toMatchObject({ reasons: [{ part: 'script' }] });
}, 60_000);

test('a changed var reruns from the first step that sees it', async () => {
  project.write(`trees/${TREE}/${TREE}.hjson`, treeWith('bonjour'));
  const r = await runBuild(project);
  expect(ran(r)).toEqual(['app:one', 'app:two', 'app:three', 'leaf:end']);
  const start = r.events.find((e) => e.type === 'step-start' && e.step === 'one');
  expect(start).toMatchObject({ reasons: [{ part: 'var', name: 'greeting', before: 'hello', after: 'bonjour' }] });
}, 60_000);

test('a changed mounted file reruns every step of the stalk that mounts it', async () => {
  project.write('stalks/app/data/x', 'x2\n');
  const r = await runBuild(project);
  expect(ran(r)).toEqual(['app:one', 'app:two', 'app:three', 'leaf:end']);
  const out = execFileSync('docker', ['run', '--rm', 'stalkertest/leaf:final', 'cat', '/end'], { encoding: 'utf8' });
  expect(out).toBe('bonjour\nTWO\nx2\n');
}, 60_000);

test('--rebuild reruns the node and the nodes downstream of it, saying why', async () => {
  const r = await runBuild(project, { rebuild: ['app'] });
  expect(ran(r)).toEqual(['app:one', 'app:two', 'app:three', 'leaf:end']);
  const leaf = r.events.find((e) => e.type === 'step-start' && e.node === 'leaf');
  expect(leaf).toMatchObject({ reasons: [{ part: 'forced', by: '--rebuild app' }] });
}, 60_000);

function treeWith(greeting: string): string {
  return tarballTree(
    `
    app: { from: "base", stalk: "app" }
    leaf: { from: "app", stalk: "leaf" }`,
    { vars: `greeting: "${greeting}"` },
  );
}

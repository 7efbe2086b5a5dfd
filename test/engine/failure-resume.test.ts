// A failing step moves no tag, names node/step/exit code/log, keeps its state under a failure
// tag, skips what is downstream; rerunning after the fix runs only the failed step and later.
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { StepFailed } from '../../lib/errors.js';
import { cached, expectOk, ran, removeTreeArtifacts, runBuild } from '../support/build-harness.js';
import { makeProject, type TestProject } from '../support/project.js';
import { tarballTree } from '../support/tarball-tree.js';

const TREE = `failt${process.pid}`;
let project: TestProject;

const tags = (repo: string) => execFileSync('docker', ['images', '--format', '{{.Tag}}', repo], { encoding: 'utf8' }).split('\n').filter(Boolean).sort();

beforeAll(() => {
  project = makeProject(TREE, {
    [`trees/${TREE}/${TREE}.hjson`]: tarballTree(`
      app: { from: "base", stalk: "app" }
      child: { from: "app", stalk: "child" }
      other: { from: "base", stalk: "child" }`),
    'stalks/app/app.hjson': `{ steps: [
      { name: "s1", run: "echo one > /one" }
      { name: "s2", script: "s2.sh" }
      { name: "s3", run: "echo three > /three" }
    ] }`,
    'stalks/app/s2.sh': '#!/bin/sh\necho "about to fail"\necho "on stderr" >&2\nexit 3\n',
    'stalks/child/child.hjson': '{ steps: [ { name: "c1", run: "echo child > /child" } ] }',
  });
});

afterAll(async () => {
  await removeTreeArtifacts(TREE);
  project.cleanup();
});

test('a failing step reports node, step, exit code, log and last lines, and moves no tag', async () => {
  const r = await runBuild(project, { jobs: 1 });
  expect(r.summary.ok).toBe(false);
  const err = r.summary.errors[0] as StepFailed;
  expect(err).toBeInstanceOf(StepFailed);
  expect(err).toMatchObject({ node: 'app', step: 's2', exitCode: 3 });
  expect(err.tail).toEqual(expect.arrayContaining(['about to fail', 'on stderr']));
  expect(readFileSync(err.logPath, 'utf8')).toContain('about to fail');
  expect(err.message).toContain(err.logPath);
  expect(ran(r)).not.toContain('app:s3');
  expect(r.events).toContainEqual(expect.objectContaining({ type: 'node-skipped', node: 'child', upstream: 'app' }));
  // With one job slot, `other` was still waiting when app failed: nothing new starts after a failure.
  expect(r.summary.outcomes.get('other')).toEqual({ kind: 'skipped', reason: 'stopped' });
  expect(tags('stalkertest/app')).toEqual(['failed-s2', 's1']);
  // The failed state is kept: a shell in it sees what s1 made.
  expect(execFileSync('docker', ['run', '--rm', 'stalkertest/app:failed-s2', 'cat', '/one'], { encoding: 'utf8' })).toBe('one\n');
}, 60_000);

test('rerunning without a fix reruns the failed step only, never reusing the failed state', async () => {
  const r = await runBuild(project, { jobs: 1 });
  expect(r.summary.ok).toBe(false);
  expect(cached(r)).toContain('app:s1');
  expect(ran(r)).not.toContain('app:s1');
  expect(r.events).toContainEqual(expect.objectContaining({ type: 'step-failed', node: 'app', step: 's2' }));
}, 60_000);

test('after the fix, the rerun resumes at the failed step', async () => {
  project.write('stalks/app/s2.sh', '#!/bin/sh -e\necho two > /two\n');
  const r = await runBuild(project, { jobs: 1 });
  expectOk(r);
  expect(ran(r).sort()).toEqual(['app:s2', 'app:s3', 'child:c1', 'other:c1']);
  expect(cached(r)).toEqual(expect.arrayContaining(['base:bootstrap', 'app:s1']));
}, 60_000);

test('keep-going builds independent branches past a failure', async () => {
  project.write('stalks/app/s2.sh', '#!/bin/sh\nexit 1\n');
  project.write('stalks/child/child.hjson', '{ steps: [ { name: "c1", run: "echo child2 > /child" } ] }');
  const r = await runBuild(project, { jobs: 1, keepGoing: true });
  expect(r.summary.ok).toBe(false);
  expect(ran(r)).toContain('other:c1');
  expect(r.summary.outcomes.get('child')).toMatchObject({ kind: 'skipped', upstream: 'app' });
}, 60_000);

// The plan is the build's own decision: for each scenario, the steps `stalker plan --json` says
// will run are exactly the steps the build that follows starts (its step-start events), both
// through the CLI against the real engine.
import { spawnSync } from 'node:child_process';
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { PlannedNode } from '../../lib/plan/plan.js';
import { importBusyboxRoot, removeTreeArtifacts } from '../support/build-harness.js';
import { makeProject, type TestProject } from '../support/project.js';
import { tarballTree } from '../support/tarball-tree.js';

const TREE = `planbuild${process.pid}`;
const STALKER = join(process.cwd(), 'bin', 'stalker');
const MISSING = `sha256:${'0'.repeat(64)}`;
let project: TestProject;

const treeFile = (who: string, extra = '') =>
  tarballTree(
    `
  app: { from: "base", stalk: "app" }
  side: { from: "base", stalk: "side" }
  leaf: { from: "app", stalk: "leaf", needs: ["side"] }
  ${extra}
`,
    { vars: `who: "${who}"`, repository: TREE },
  );

beforeAll(() => {
  project = makeProject(TREE, {
    [`trees/${TREE}/${TREE}.hjson`]: treeFile('world'),
    'stalks/app/app.hjson': `{
      vars: { who: null }
      caches: [ { name: "flag", dest: "/flag" } ]
      steps: [ { name: "greet", run: "echo $who ${TREE} > /greet" }, { name: "check", run: "test ! -e /flag/fail; echo ok >> /greet" } ]
    }`,
    'stalks/side/side.hjson': `{ steps: [ { name: "make", run: "echo side ${TREE} > /side" } ] }`,
    'stalks/leaf/leaf.hjson': '{ steps: [ { name: "end", run: "cat /greet > /end" } ] }',
  });
});
beforeAll(() => importBusyboxRoot(), 120_000);
afterAll(async () => {
  await removeTreeArtifacts(TREE);
  project.cleanup();
});

const cli = (args: string[]) => spawnSync(STALKER, [...args, '--config', project.tree], { encoding: 'utf8', env: { ...process.env, NO_COLOR: '1' } });

function planned(flags: string[] = []): { run: string[]; plan: PlannedNode[] } {
  const r = cli(['plan', '--json', ...flags]);
  if (r.status !== 0) throw new Error(`plan failed: ${r.stderr}`);
  const plan = JSON.parse(r.stdout) as PlannedNode[];
  return { plan, run: plan.flatMap((n) => n.steps.filter((s) => s.state === 'run').map((s) => `${n.node}:${s.step}`)).sort() };
}

function built(flags: string[] = []): { started: string[]; status: number | null; stderr: string } {
  const r = cli(['--progress', 'json', ...flags]);
  const events = r.stdout
    .split('\n')
    .filter((l) => l.startsWith('{'))
    .map((l) => JSON.parse(l) as { type: string; node: string; step: string });
  return {
    started: events
      .filter((e) => e.type === 'step-start')
      .map((e) => `${e.node}:${e.step}`)
      .sort(),
    status: r.status,
    stderr: r.stderr,
  };
}

function expectPlanIsBuild(flags: string[] = [], expected?: string[]) {
  const p = planned(flags);
  const b = built(flags);
  expect(b.started).toEqual(p.run);
  if (expected) expect(p.run).toEqual([...expected].sort());
  return { plan: p, build: b };
}

const writeTree = (who: string, extra = '') => project.write(`trees/${TREE}/${TREE}.hjson`, treeFile(who, extra));
test('clean: every step but the shared root', () => {
  const { build } = expectPlanIsBuild([], ['app:greet', 'app:check', 'side:make', 'leaf:end']);
  expect(build.status).toBe(0);
}, 120_000);

test('fully cached: nothing', () => {
  expectPlanIsBuild([], []);
}, 60_000);

test('one var changed: the steps from the one that has it, and their descendants', () => {
  writeTree('you');
  expectPlanIsBuild([], ['app:greet', 'app:check', 'leaf:end']);
}, 120_000);

test('a failed step, then the rerun: resumes at the failed step', () => {
  const flagDir = join(project.root, '.stalker', 'caches', 'flag');
  mkdirSync(flagDir, { recursive: true });
  writeFileSync(join(flagDir, 'fail'), ''); // named caches are not keyed: the rerun's keys are the same
  writeTree('them');
  const failing = built();
  expect(failing.status).toBe(1);
  expect(failing.started).toEqual(['app:check', 'app:greet']);
  rmSync(join(flagDir, 'fail'));
  expectPlanIsBuild([], ['app:check', 'leaf:end']);
}, 120_000);

test('--rebuild app: that node and what is downstream of it', () => {
  expectPlanIsBuild(['--rebuild', 'app'], ['app:greet', 'app:check', 'leaf:end']);
}, 120_000);

test('--no-cache: every step, the root too', () => {
  expectPlanIsBuild(['--no-cache'], ['base:bootstrap', 'app:greet', 'app:check', 'side:make', 'leaf:end']);
}, 120_000);

test('an image bootstrap whose image is missing: blocked in the plan, never started by the build, which fails', () => {
  writeTree('them', `img: { bootstrap: { kind: "image", ref: "${MISSING}" } }\n  onimg: { from: "img", stalk: "side" }`);
  const { plan, build } = expectPlanIsBuild([], []);
  const img = plan.plan.find((n) => n.node === 'img')!.steps[0];
  expect(img).toMatchObject({ state: 'blocked', note: expect.stringContaining(`image ${MISSING} is not in the engine`) });
  expect(plan.plan.find((n) => n.node === 'onimg')!.steps[0]).toMatchObject({ state: 'blocked', waitsFor: 'img:bootstrap' });
  expect(build.status).toBe(1);
  expect(build.stderr).toContain(`image ${MISSING} is not in the engine`);
}, 120_000);

// Logs and events of real runs through bin/stalker: `logs -f` follows a step while the build
// writes it and exits with the step's outcome; `logs --run` reads one run; `events` draws the run
// as a tree of actions (run -> node -> step) with outcomes and durations, filterable by node.
import { spawn, spawnSync } from 'node:child_process';
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { importBusyboxRoot, removeTreeArtifacts } from '../support/build-harness.js';
import { makeProject, type TestProject } from '../support/project.js';
import { tarballTree } from '../support/tarball-tree.js';

const TREE = `insplogs${process.pid}`;
const STALKER = join(process.cwd(), 'bin', 'stalker');
let project: TestProject;

beforeAll(() => {
  project = makeProject(TREE, {
    [`trees/${TREE}/${TREE}.hjson`]: tarballTree(
      `
      slow: { from: "base", stalk: "slow" }
      bad: { from: "base", stalk: "bad" }
      leaf: { from: "bad", stalk: "slow" }
    `,
      { repository: TREE },
    ),
    'stalks/slow/slow.hjson': `{ steps: [
      { name: "count", run: "for i in 1 2 3 4 5 6; do echo line $i; sleep 0.3; done", cache: false }
      { name: "second", run: "echo second ${TREE}" }
    ] }`,
    'stalks/bad/bad.hjson': '{ steps: [ { name: "boom", run: "echo about to fail; exit 3" } ] }',
  });
});

// the root is cached on an engine that ran any test before; make it so on a fresh one too
beforeAll(() => importBusyboxRoot(), 120_000);

afterAll(async () => {
  await removeTreeArtifacts(TREE);
  project.cleanup();
});

const cli = (...args: string[]) => spawnSync(STALKER, [...args, '--config', project.tree], { encoding: 'utf8', env: { ...process.env, NO_COLOR: '1' } });

function follow(target: string): Promise<{ code: number | null; out: string }> {
  const child = spawn(STALKER, ['logs', target, '-f', '--config', project.tree], { stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  child.stdout.on('data', (c: Buffer) => {
    out += c.toString();
  });
  return new Promise((resolve) => child.on('close', (code) => resolve({ code, out })));
}

let runId = '';

test('logs -f follows steps of the running build and exits with their outcome', async () => {
  const build = spawn(STALKER, ['--config', project.tree, '--keep-going', '--progress', 'plain'], { stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  const started = new Promise<void>((resolve) =>
    build.stdout.on('data', (c: Buffer) => {
      out += c.toString();
      if (/slow:count running/.test(out)) resolve();
    }),
  );
  const buildDone = new Promise<number | null>((resolve) => build.on('close', resolve));
  await started;
  const [node, boom, code] = await Promise.all([follow('slow'), follow('bad:boom'), buildDone]);
  expect(code).toBe(1); // bad failed; --keep-going let slow finish
  runId = /run (\S+):/.exec(out)![1];
  // The whole node, step by step with headers, every line exactly once and in order.
  expect(node.code).toBe(0);
  expect(node.out).toMatch(/==> slow:count .*<==\nline 1\nline 2\nline 3\nline 4\nline 5\nline 6\n==> slow:second .*<==\nsecond/);
  expect(boom.code).toBe(1);
  expect(boom.out).toBe('about to fail\n');
}, 90_000);

test('events draws the run as a tree: outcomes, durations, why, logs; skipped and failed nodes', () => {
  const r = cli('events');
  expect(r.status).toBe(0);
  const lines = r.stdout.trimEnd().split('\n');
  expect(lines[0]).toMatch(new RegExp(`^run ${runId} · tree ${TREE} ⇒ failed ⧖ \\d+\\.\\d\\ds \\(\\d ran, \\d cached, 1 failed, 1 skipped\\)`));
  expect(r.stdout).toMatch(/├── ◆ base ⇒ cached/);
  const count = /├── ✔ slow ⇒ built ⧖ \d+\.\d\ds @\+\d+\.\d\ds\n│   ├── ✔ count ⇒ done ⧖ (\d+\.\d\d)s/.exec(r.stdout);
  expect(count).not.toBeNull();
  // the step sleeps 6 x 0.3 s, so its drawn duration is at least that; a loaded machine may take longer
  expect(Number(count![1])).toBeGreaterThanOrEqual(1.8);
  expect(r.stdout).toMatch(/│   │   ├── why: never built before\n│   │   └── log: /);
  expect(r.stdout).toContain(`log: ${join(project.root, 'logs', TREE, 'runs', runId, 'slow', 'count.log')}`);
  expect(r.stdout).toMatch(/✖ bad ⇒ failed ⧖ [\d.]+s @\+[\d.]+s\n│   ├── ✖ boom ⇒ failed \(exit 3\)/);
  expect(r.stdout).toMatch(/└── ⊘ leaf ⇒ skipped\n\s+└── upstream bad failed/);
  const only = cli('events', '--node', 'bad').stdout;
  expect(only).toContain('bad ⇒ failed');
  expect(only).not.toContain('slow');
  const json = cli('events', '--json', '--node', 'bad')
    .stdout.trim()
    .split('\n')
    .map((l) => JSON.parse(l));
  expect(json.map((e) => e.type)).toEqual(expect.arrayContaining(['run-start', 'node-start', 'step-start', 'step-failed', 'node-failed', 'run-done']));
  expect(cli('events', '--node', 'nope').stderr).toMatch(/has no node nope/);
});

test('logs reads the latest log of a step, a node with headers, or one run by id prefix', () => {
  expect(cli('logs', 'bad:boom').stdout).toBe('about to fail\n');
  const node = cli('logs', 'slow');
  expect(node.stdout).toMatch(/^==> slow:count \(.*\) <==\nline 1\n/);
  expect(node.stdout).toMatch(/==> slow:second/);
  const again = spawnSync(STALKER, ['--config', project.tree, '--keep-going'], { encoding: 'utf8' }); // count has cache: false: a new log
  expect(again.status).toBe(1);
  const runs = readdirSync(join(project.root, 'logs', TREE, 'runs')).sort();
  expect(runs).toHaveLength(2);
  expect(cli('events', '--node', 'slow').stdout).toMatch(/✔ count ⇒ done ⧖ [\d.]+s @\+[\d.]+s\n\s+│   ├── why: step has cache: false/);
  const first = cli('logs', 'slow:count', '--run', runs[0].slice(0, 18));
  expect(first.status).toBe(0);
  expect(first.stdout).toMatch(/^line 1\n/);
  const missing = cli('logs', 'slow', '--run', '19990101');
  expect(missing.status).toBe(1);
  expect(missing.stderr).toMatch(/no run 19990101 of tree .* \(recent: /);
  expect(cli('logs', 'slow:nope').stderr).toMatch(/node slow has no step nope \(steps: count, second\)/);
  expect(cli('logs', 'leaf:second').stderr).toMatch(/no logs for leaf:second/);
}, 60_000);

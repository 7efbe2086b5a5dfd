// The live view of a real build on a real terminal (a pty from script(1)): permanent lines for
// finished steps and nodes, a block redrawn in place with the running node's last output line, the
// summary; NO_COLOR removes color but keeps the live view; a pipe or --progress=plain gets plain
// lines without escape codes.
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { importBusyboxRoot, removeTreeArtifacts } from '../support/build-harness.js';
import { makeProject, type TestProject } from '../support/project.js';
import { tarballTree } from '../support/tarball-tree.js';

const TREE = `inspprog${process.pid}`;
const STALKER = join(process.cwd(), 'bin', 'stalker');
let project: TestProject;

beforeAll(() => {
  project = makeProject(TREE, {
    [`trees/${TREE}/${TREE}.hjson`]: tarballTree(
      `
      app: { from: "base", stalk: "app" }
      side: { from: "base", stalk: "side" }
    `,
      { repository: TREE },
    ),
    'stalks/app/app.hjson': `{ steps: [
      { name: "work", run: "for i in 1 2 3 4 5 6; do echo working on part $i; sleep 0.25; done", cache: false }
      { name: "done", run: "echo finished ${TREE}" }
    ] }`,
    'stalks/side/side.hjson': `{ steps: [ { name: "quick", run: "echo quick ${TREE}" } ] }`,
  });
});

// the root is cached on an engine that ran any test before; make it so on a fresh one too
beforeAll(() => importBusyboxRoot(), 120_000);

afterAll(async () => {
  await removeTreeArtifacts(TREE);
  project.cleanup();
});

/** Runs stalker on a pseudo-terminal of 100 columns; returns everything written to it. */
function onTerminal(args: string[], env: NodeJS.ProcessEnv = {}) {
  const cmd = [STALKER, ...args].map((a) => `'${a}'`).join(' ');
  const r = spawnSync('script', ['-qec', `stty cols 100; ${cmd}`, '/dev/null'], {
    encoding: 'utf8',
    env: { ...process.env, TERM: 'xterm', NO_COLOR: '', ...env },
  });
  return { status: r.status, out: r.stdout };
}

const plainText = (s: string) => s.replace(/\x1b\[[0-9;?]*[A-Za-z]/g, '').replace(/\r/g, '');

test('on a terminal: the live block redraws in place; finished work stays; the summary counts everything', () => {
  const r = onTerminal(['--config', project.tree]);
  expect(r.status).toBe(0);
  expect(r.out).toMatch(/\x1b\[\d+A\r\x1b\[0J/); // cursor up over the block, clear to the end
  expect(r.out).toMatch(/\x1b\[3\dm/); // colored
  const text = plainText(r.out);
  expect(text).toMatch(/app {2}✔work ▶done|app {2}▶work ·done {2}\d+\.\ds {2}│ working on part \d/);
  expect(text).toMatch(/app {2}▶work ·done {2}\d+\.\ds {2}│ working on part [2-6]/); // the last output line, live
  expect(text).toMatch(/\d\/3 nodes · \d running · \d ran · \d cached · \d+\.\ds/);
  expect(text).toMatch(/✔ app:work \d+\.\ds \(never built before\)/);
  expect(text).toMatch(/✔ app built [0-9a-f]{12} in \d+\.\ds/);
  expect(text).toMatch(/◆ base cached \(1 step\)/);
  expect(text.trimEnd().split('\n').pop()).toMatch(/^✔ done in \d+\.\ds: 3 ran, 1 cached, 0 failed, 0 skipped, 3 nodes$/);
}, 90_000);

test('NO_COLOR: the same live view without color', () => {
  const r = onTerminal(['--config', project.tree], { NO_COLOR: '1' });
  expect(r.status).toBe(0);
  expect(r.out).not.toMatch(/\x1b\[\d*m/);
  expect(r.out).toMatch(/\x1b\[\d+A/);
  expect(plainText(r.out)).toMatch(/✔ app:work \d+\.\ds \(step has cache: false\)/);
  expect(plainText(r.out)).toMatch(/◆ side cached \(1 step\)/);
}, 90_000);

test('--progress=plain on a terminal, and any pipe: plain lines, no escape codes', () => {
  const tty = onTerminal(['--config', project.tree, '--progress', 'plain']);
  expect(tty.out).not.toMatch(/\x1b/);
  expect(tty.out).toMatch(/app:work done in \d+\.\ds/);
  const pipe = spawnSync(STALKER, ['--config', project.tree], { encoding: 'utf8' });
  expect(pipe.stdout).not.toMatch(/\x1b/);
  expect(pipe.stdout).toMatch(/^done in \d+\.\ds: 2 ran, 2 cached, 0 failed, 0 skipped$/m);
  const json = spawnSync(STALKER, ['--config', project.tree, '--progress', 'json'], { encoding: 'utf8' });
  const types = json.stdout
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l).type);
  expect(types[0]).toBe('run-start');
  expect(types).toContain('step-output');
  expect(types[types.length - 1]).toBe('run-done');
  expect(spawnSync(STALKER, ['--config', project.tree, '--progress', 'fancy'], { encoding: 'utf8' }).stderr).toMatch(
    /--progress fancy: expected one of auto, tty, plain, json/,
  );
}, 90_000);

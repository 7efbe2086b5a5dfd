// The CLI as a user runs it: a bad config is one clear error (file:line) with no container made;
// Ctrl-C mid-step stops, removes our containers and exits non-zero.
import { spawn, spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { LABEL } from '../../lib/engine/labels.js';
import { engine, removeTreeArtifacts } from '../support/build-harness.js';
import { makeProject, type TestProject } from '../support/project.js';
import { tarballTree } from '../support/tarball-tree.js';

const STALKER = join(process.cwd(), 'bin', 'stalker');
const TREE = `clit${process.pid}`;
const projects: TestProject[] = [];

afterAll(async () => {
  await removeTreeArtifacts(TREE);
  for (const p of projects) p.cleanup();
});

const containerCount = async () => (await engine.containers.list({ [LABEL.tool]: 'stalker' })).length;

test('a bad config gives one clear error naming file and line, exit 2, and starts no container', async () => {
  const p = makeProject(TREE, {
    [`trees/${TREE}/${TREE}.hjson`]: tarballTree(`
      app: { from: "base", stalk: "app" }
      bad: { from: "nowhere", stalk: "app" }`),
    'stalks/app/app.hjson': '{\n  steps: [ { name: "one", run: "true" } ]\n  colour: "blue"\n}',
  });
  projects.push(p);
  const before = await containerCount();
  const r = spawnSync(STALKER, ['--config', p.tree], { encoding: 'utf8' });
  expect(r.status).toBe(2);
  expect(r.stderr).toMatch(new RegExp(`${TREE}\\.hjson:\\d+:\\d+: .*nowhere`));
  expect(r.stderr).toMatch(/app\.hjson:3:\d+: .*colour/);
  expect(r.stderr).not.toMatch(/\n\s+at /); // no stack trace
  expect(await containerCount()).toBe(before);
}, 60_000);

test('Ctrl-C mid-step stops the build, removes its containers and exits 130', async () => {
  const p = makeProject(TREE, {
    [`trees/${TREE}/${TREE}.hjson`]: tarballTree('slow: { from: "base", stalk: "slow" }'),
    'stalks/slow/slow.hjson': '{ steps: [ { name: "nap", run: "echo napping; sleep 60", cache: false } ] }',
  });
  projects.push(p);
  const child = spawn(STALKER, ['--config', p.tree, '--progress', 'json'], { stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  await new Promise<void>((resolve, reject) => {
    child.stdout.on('data', (c: Buffer) => {
      out += c.toString();
      if (out.includes('"line":"napping"')) resolve();
    });
    child.on('exit', () => reject(new Error(`stalker exited early: ${out}`)));
  });
  expect((await engine.containers.list({ [LABEL.tree]: TREE })).length).toBe(1);
  const t0 = Date.now();
  child.kill('SIGINT');
  const code = await new Promise<number | null>((resolve) => child.on('exit', (c) => resolve(c)));
  expect(code).toBe(130);
  expect(Date.now() - t0).toBeLessThan(15_000);
  expect(await engine.containers.list({ [LABEL.tree]: TREE })).toEqual([]);
  expect(out).toContain('"type":"interrupted"');
}, 90_000);

test('a second build of the same repository while one runs is refused, naming the running one; nothing starts', async () => {
  const p = makeProject(TREE, {
    [`trees/${TREE}/${TREE}.hjson`]: tarballTree('slow: { from: "base", stalk: "slow" }', { repository: `lockt${process.pid}` }),
    'stalks/slow/slow.hjson': '{ steps: [ { name: "nap", run: "echo napping; sleep 60", cache: false } ] }',
  });
  projects.push(p);
  const child = spawn(STALKER, ['--config', p.tree, '--progress', 'json'], { stdio: ['ignore', 'pipe', 'pipe'] });
  await new Promise<void>((resolve) =>
    child.stdout.on('data', (c: Buffer) => {
      if (c.toString().includes('"line":"napping"')) resolve();
    }),
  );
  const r = spawnSync(STALKER, ['--config', p.tree], { encoding: 'utf8' });
  expect(r.status).toBe(1);
  expect(r.stderr).toContain(`repository lockt${process.pid} is being built by pid ${child.pid}`);
  expect(r.stderr).not.toMatch(/\n\s+at /);
  expect((await engine.containers.list({ [LABEL.tree]: TREE })).length).toBe(1); // only the first build's
  child.kill('SIGINT');
  expect(await new Promise<number | null>((resolve) => child.on('exit', (c) => resolve(c)))).toBe(130);
}, 90_000);

test('a run sweeps containers left by a killed run (and takes over its build lock)', async () => {
  const p = projects[1];
  const child = spawn(STALKER, ['--config', p.tree, '--progress', 'json'], { stdio: ['ignore', 'pipe', 'pipe'] });
  await new Promise<void>((resolve) =>
    child.stdout.on('data', (c: Buffer) => {
      if (c.toString().includes('"line":"napping"')) resolve();
    }),
  );
  child.kill('SIGKILL');
  await new Promise((resolve) => child.on('exit', resolve));
  expect((await engine.containers.list({ [LABEL.tree]: TREE })).length).toBe(1);
  p.write('stalks/slow/slow.hjson', '{ steps: [ { name: "nap", run: "echo quick" } ] }');
  const r = spawnSync(STALKER, ['--config', p.tree], { encoding: 'utf8' });
  expect(r.status).toBe(0);
  expect(r.stdout).toMatch(/removed 1 container/);
  expect(await engine.containers.list({ [LABEL.tree]: TREE })).toEqual([]);
}, 90_000);

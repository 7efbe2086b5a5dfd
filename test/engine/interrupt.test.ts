// Ctrl-C on the Docker backend, as a user sends it to a spawned stalker: during a run step and
// during mmdebstrap. Everything the run started ends (the step's container, also a process of it
// in a session of its own; mmdebstrap and its apt), the build exits 130 with one line, nothing
// half-made is committed, and a rerun resumes from the cache.
import { readdirSync } from 'node:fs';
import { LABEL } from '../../lib/engine/labels.js';
import { engine, importBusyboxRoot, removeTreeArtifacts } from '../support/build-harness.js';
import { descendants, eventually, HangingMirror, MAIN, napStep, stepOutput, watchBuild, withToken } from '../support/interrupted-build.js';
import { pidAlive } from '../support/pid-alive.js';
import { makeProject, type TestProject } from '../support/project.js';
import { tarballTree } from '../support/tarball-tree.js';

const TREE = `intr${process.pid}`;
const TOKEN = `stalker-nap-${process.pid}`; // in the step's command lines, in no path of the tree
const projects: TestProject[] = [];

beforeAll(() => importBusyboxRoot(), 120_000);
afterAll(async () => {
  await removeTreeArtifacts(TREE);
  for (const p of projects) p.cleanup();
});

const build = (p: TestProject) => watchBuild('node', [MAIN, '--config', p.tree, '--progress', 'json']);
const oneLine = (stderr: string) => stderr.trim().split('\n');

test('Ctrl-C in a run step: its container and every process of it end, exit 130 with one line; the rerun resumes from the cache', async () => {
  const p = makeProject(TREE, {
    [`trees/${TREE}/${TREE}.hjson`]: tarballTree('app: { from: "base", stalk: "app" }', { repository: TREE }),
    'stalks/app/app.hjson': `{ steps: [ { name: "first", run: "echo one > /one" }, ${napStep(TOKEN)} ] }`,
  });
  projects.push(p);
  const b = build(p);
  await b.until(stepOutput('napping'));
  const run = b.events.find((e) => e.type === 'run-start')!.run as string;
  const ours = { [LABEL.tree]: TREE, [LABEL.run]: run };
  expect(await engine.containers.list(ours)).toHaveLength(1);
  expect(withToken(TOKEN)).toHaveLength(2); // what the checks below see gone is there now

  const { code, ms } = await b.interrupt('SIGINT');
  expect(code).toBe(130);
  expect(ms).toBeLessThan(20_000);
  expect(oneLine(b.stderr())).toEqual(['stalker: interrupted by SIGINT; a rerun resumes from the cache']);
  expect(await engine.containers.list(ours)).toEqual([]);
  expect(await eventually(() => withToken(TOKEN).length === 0)).toBe(true);
  // nothing of the interrupted step is an image: neither a cache entry nor a failure's kept state
  expect((await engine.images.list({ [LABEL.tree]: TREE, [LABEL.step]: 'nap' })).map((i) => i.tags)).toEqual([]);

  p.write('stalks/app/app.hjson', '{ steps: [ { name: "first", run: "echo one > /one" }, { name: "nap", run: "test -f /one" } ] }');
  const again = build(p);
  const done = await new Promise<number | null>((resolve) => again.child.on('exit', resolve));
  expect(done).toBe(0);
  expect(again.events).toContainEqual(expect.objectContaining({ type: 'step-cached', node: 'app', step: 'first' }));
  expect(again.events).toContainEqual(expect.objectContaining({ type: 'step-done', node: 'app', step: 'nap' }));
}, 180_000);

test('Ctrl-C in mmdebstrap: it and its apt end, nothing is imported, exit 130 with one line', async () => {
  const mirror = new HangingMirror();
  const url = `${await mirror.listen()}/${TOKEN}-mirror`;
  const p = makeProject(TREE, {
    [`trees/${TREE}/${TREE}.hjson`]: tarballTree(`deb: { bootstrap: { kind: "debootstrap", suite: "bookworm", variant: "extract", mirror: "${url}" } }`, {
      repository: TREE,
    }),
  });
  projects.push(p);
  const tempRoots = () => readdirSync('/tmp').filter((f) => f.startsWith('mmdebstrap.'));
  const before = tempRoots();
  const b = build(p);
  try {
    await mirror.connected(); // apt (mmdebstrap's `apt-get update`) is waiting on the mirror
    const started = descendants(b.child.pid!);
    expect(withToken(TOKEN).length).toBeGreaterThan(0); // mmdebstrap, its mirror in its argv
    expect(started.length).toBeGreaterThan(1); // mmdebstrap and what it forked

    const { code, ms } = await b.interrupt('SIGINT');
    expect(code).toBe(130);
    expect(ms).toBeLessThan(20_000);
    expect(oneLine(b.stderr())).toEqual(['stalker: interrupted by SIGINT; a rerun resumes from the cache']);
    expect(await eventually(() => !started.some(pidAlive))).toBe(true);
    expect(withToken(TOKEN)).toEqual([]);
    expect(await eventually(() => mirror.open === 0)).toBe(true); // apt's connection closed: apt is gone
    expect(await engine.images.list({ [LABEL.tree]: TREE, [LABEL.node]: 'deb' })).toEqual([]);
    expect(tempRoots()).toEqual(before); // mmdebstrap removed its root (it was stopped, not killed)
  } finally {
    mirror.close();
  }
}, 120_000);

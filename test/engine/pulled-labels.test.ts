// A pulled image says it was pulled (issue 25): project A builds a tiny tree on engine A (the main
// daemon) and pushes; project B (another directory, another tree name and repository, the same
// stalk) builds it on engine B (a second, empty dockerd) from the registry. B's step images keep
// the content labels that make them the cache entries (key, node, step) and the same layers, but
// name B's run and tree, the registry reference and, under origin labels, A's run and tree; the
// report, `stalker events`, `stalker explain` and `stalker logs` show them as pulled; a rerun on
// B is all local hits.
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import type { RegistryAddress } from '../../lib/cache/registry-address.js';
import { LABEL } from '../../lib/engine/labels.js';
import { type BuildRun, engine as engineA, expectOk, ran, runBuild } from '../support/build-harness.js';
import { makeProject, type TestProject } from '../support/project.js';
import { type RegistryServer, REGISTRY_BIN } from '../support/registry-server.js';
import type { SecondEngine } from '../support/second-dockerd.js';
import { startRig, stopRig } from '../support/two-engine-rig.js';
import { tarballTree } from '../support/tarball-tree.js';

const TREE_A = `pulla${process.pid}`;
const TREE_B = `pullb${process.pid}`;
const STEPS = ['base:bootstrap', 'app:one', 'app:two'];
const STALK = `{ steps: [
  { name: "one", run: "echo one-${process.pid} > /one" }
  { name: "two", run: "cat /one > /two" }
] }`;
let a: TestProject;
let b: TestProject;
let registry: RegistryServer;
let engineB: SecondEngine;
let reg: RegistryAddress;

const project = (tree: string) =>
  makeProject(tree, {
    [`trees/${tree}/${tree}.hjson`]: tarballTree('app: { from: "base", stalk: "app" }', { repository: tree }),
    'stalks/app/app.hjson': STALK,
  });
const keyOf = (r: BuildRun, step: string) =>
  (r.events.find((e) => (e.type === 'step-done' || e.type === 'step-cached') && `${e.node}:${e.step}` === step) as { key: string }).key;
const refOf = (tree: string, step: string) => `${tree}/${step}`; // the tree's repository is its name
/** The CLI on engine B, as a user of project B runs it. */
const cli = (...args: string[]) =>
  spawnSync(process.execPath, ['dist/lib/cli/main.js', ...args, '--config', b.tree], {
    encoding: 'utf8',
    env: { ...withoutSite(process.env), DOCKER_HOST: engineB.host, NO_COLOR: '1' },
  });
const withoutSite = ({ STALKER_ENGINES: _site, STALKER_ENGINE: _kind, ...env }: NodeJS.ProcessEnv) => env;
const layersOf = (host: string | undefined, ref: string) =>
  spawnSync('docker', [...(host ? ['-H', host] : []), 'image', 'inspect', '--format', '{{json .RootFS.Layers}}', ref], { encoding: 'utf8' }).stdout.trim();

const maybe = existsSync(REGISTRY_BIN) ? describe : describe.skip;

maybe('an image pulled from the shared cache names the pull, not its builder', () => {
  let first: BuildRun;
  let pulled: BuildRun;

  beforeAll(async () => {
    a = project(TREE_A);
    b = project(TREE_B);
    ({ registry, reg, b: engineB } = await startRig('pulled', 'i25b'));
    first = await runBuild(a, { engine: engineA, cache: { to: reg } });
    expectOk(first);
    expect(first.events.filter((e) => e.type === 'cache-push').every((e) => e.type === 'cache-push' && e.ok)).toBe(true);
    pulled = await runBuild(b, { engine: engineB.engine, cache: { from: reg, to: reg } });
    expectOk(pulled);
  }, 180_000);

  afterAll(async () => {
    await stopRig({ registry, b: engineB }, TREE_A, a);
    b?.cleanup();
  }, 60_000);

  test('project B ran nothing: every step pulled', () => {
    expect(ran(pulled)).toEqual([]);
    expect(pulled.events.find((e) => e.type === 'run-done')).toMatchObject({ ran: 0, pulled: STEPS.length });
  });

  test.each(STEPS)("%s: content labels as built, provenance the pull's", async (step) => {
    const image = await engineB.engine.images.inspect(refOf(TREE_B, step));
    const l = image!.labels;
    expect(l[LABEL.key]).toBe(keyOf(first, step));
    expect(`${l[LABEL.node]}:${l[LABEL.step]}`).toBe(step);
    expect(l[LABEL.run]).toBe(pulled.summary.runId);
    expect(l[LABEL.tree]).toBe(TREE_B);
    expect(l[LABEL.pid]).toBe(String(process.pid));
    expect(l[LABEL.parent]).toBeUndefined(); // A's parent id names an image of engine A
    expect(l[LABEL.pulledFrom]).toMatch(new RegExp(`^${reg.host}/${reg.repository}@sha256:[0-9a-f]{64}$`));
    // The builder's facts: A's image's own (a root A found cached was built by an earlier run).
    const built = (await engineA.images.inspect(refOf(TREE_A, step)))!.labels;
    expect(l[LABEL.originRun]).toBe(built[LABEL.run]);
    expect(l[LABEL.originTree]).toBe(built[LABEL.tree]);
    expect(l[LABEL.run]).not.toBe(built[LABEL.run]);
    // The same layers as A's image (the same files: what a writer reads), only the config is B's.
    expect(layersOf(engineB.host, image!.id)).toBe(layersOf(undefined, refOf(TREE_A, step)));
    // One image per key on B: the pulled original, with A's labels, is gone.
    expect((await engineB.engine.images.list({ [LABEL.key]: keyOf(first, step) })).map((i) => i.id)).toEqual([image!.id]);
  });

  test('nothing on engine B claims run A or tree A as its own', async () => {
    expect(await engineB.engine.images.list({ [LABEL.run]: first.summary.runId })).toEqual([]);
    expect(await engineB.engine.images.list({ [LABEL.tree]: TREE_A })).toEqual([]);
  });

  test('the report and `stalker events` of the pulling run say where each step came from', () => {
    const r = cli('report', '--run', pulled.summary.runId);
    expect(r.stderr).toBe('');
    const html = readFileSync(r.stdout.trim(), 'utf8');
    expect(html.match(new RegExp(`pulled from ${reg.host}/${reg.repository}@sha256:`, 'g'))).toHaveLength(STEPS.length);
    const events = cli('events', '--run', pulled.summary.runId);
    expect(events.stdout.match(/pulled from /g)).toHaveLength(STEPS.length);
  });

  test('`stalker explain` shows the local hits as pulled; `stalker logs` says whose logs they are', () => {
    const e = cli('explain', 'app');
    expect(e.status).toBe(0);
    expect(e.stdout).toMatch(new RegExp(`one\\s+cached [0-9a-f]{12} \\(pulled from ${reg.host}/${reg.repository}@sha256:`));
    const logs = cli('logs', 'app:one');
    expect(logs.stderr).toContain(`pulled from ${reg.host}/${reg.repository}@sha256:`);
    expect(logs.stderr).toContain(`by run ${pulled.summary.runId}`);
    expect(logs.stderr).toContain(`run ${first.summary.runId} of tree ${TREE_A} built it on another machine`); // app:one ran in A
  });

  test('a rerun on B is fully cached, locally, and still knows the steps were pulled', async () => {
    const again = await runBuild(b, { engine: engineB.engine, cache: { from: reg, to: reg } });
    expectOk(again);
    expect(ran(again)).toEqual([]);
    expect(again.events.find((e) => e.type === 'run-done')).toMatchObject({ ran: 0, cached: STEPS.length, pulled: 0 });
    const cachedSteps = again.events.filter((e) => e.type === 'step-cached');
    expect(cachedSteps.map((e) => e.type === 'step-cached' && e.source)).toEqual(STEPS.map(() => 'local'));
    expect(cachedSteps.every((e) => e.type === 'step-cached' && e.pulledFrom?.startsWith(`${reg.host}/`))).toBe(true);
    expect(cli('events').stdout.match(/pulled earlier from /g)).toHaveLength(STEPS.length);
  }, 120_000);
});

// The build on the in-memory engine: the real scheduler, node runner, step kinds and probes, with
// container runs faked. Each test names the behaviour that breaks it.
import { mkdirSync, statSync, utimesSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { treeKeys } from '../../lib/plan/tree-keys.js';
import { fingerprintPath } from '../../lib/plan/writer-step.js';
import { FakeEngine, lineScript } from '../support/fake-engine.js';
import { buildOn, cached, planOn, ran, reasonsOf, started, toRun } from '../support/fake-build.js';
import { fakeProject, type FakeProject, type NodeDef } from '../support/fake-tree.js';

let project: FakeProject;
let engine: FakeEngine;

beforeEach(async () => {
  project = await fakeProject(`fake${Math.random().toString(36).slice(2, 8)}`);
  engine = new FakeEngine();
  engine.script = lineScript();
});
afterEach(() => project.cleanup());

const chain = (over: { greeting?: string; second?: string } = {}): Record<string, NodeDef> => ({
  base: { bootstrap: 'tarball' },
  app: {
    from: 'base',
    steps: [
      { name: 'one', run: 'write /one $greeting', env: { greeting: over.greeting ?? 'hello' } },
      { name: 'two', run: over.second ?? 'append /one two' },
    ],
  },
  leaf: { from: 'app', steps: [{ name: 'end', run: 'copy /one /end' }] },
});

test('a first build runs every step and commits what the scripts left; a second one reuses all of it', async () => {
  const first = await buildOn(engine, project.tree(chain()));
  expect(first.summary.ok).toBe(true);
  expect(ran(first)).toEqual(['base:bootstrap', 'app:one', 'app:two', 'leaf:end']);
  expect(engine.file(`${project.tree(chain()).repository}/leaf:final`, '/end')).toBe('hello\ntwo\n');
  const creates = engine.calls.filter((c) => c.startsWith('create')).length;
  const second = await buildOn(engine, project.tree(chain()));
  expect(ran(second)).toEqual([]);
  expect(cached(second)).toEqual(['base:bootstrap', 'app:one', 'app:two', 'leaf:end']);
  expect(engine.calls.filter((c) => c.startsWith('create')).length).toBe(creates); // no container for a hit
});

test('a changed var reruns from the step that has it, naming the var; the steps after follow their parent', async () => {
  await buildOn(engine, project.tree(chain()));
  const r = await buildOn(engine, project.tree(chain({ greeting: 'bonjour' })));
  expect(ran(r)).toEqual(['app:one', 'app:two', 'leaf:end']);
  expect(reasonsOf(r, 'app:one')).toEqual([{ part: 'var', name: 'greeting', before: 'hello', after: 'bonjour' }]);
  expect(reasonsOf(r, 'app:two')).toEqual([{ part: 'parent' }]);
  expect(engine.file(`${project.tree(chain()).repository}/leaf:final`, '/end')).toBe('bonjour\ntwo\n');
});

test('a changed script reruns that step and what follows, not what comes before', async () => {
  await buildOn(engine, project.tree(chain()));
  const r = await buildOn(engine, project.tree(chain({ second: 'append /one TWO' })));
  expect(cached(r)).toEqual(['base:bootstrap', 'app:one']);
  expect(ran(r)).toEqual(['app:two', 'leaf:end']);
  expect(reasonsOf(r, 'app:two')).toEqual([{ part: 'script' }]);
});

test('keys hold across engines with the same executor, and never match another executor', async () => {
  await buildOn(engine, project.tree(chain()));
  // "pushed" to another engine: the same images and labels, new engine-local ids
  const other = new FakeEngine();
  other.script = lineScript();
  for (const [, img] of engine.store)
    other.store.set(`sha256:${'f'.repeat(48)}${img.id.slice(-16)}`, { ...img, id: `sha256:${'f'.repeat(48)}${img.id.slice(-16)}` });
  expect(ran(await buildOn(other, project.tree(chain())))).toEqual([]);
  const rootless = new FakeEngine('rootless');
  rootless.script = lineScript();
  for (const [id, img] of engine.store) rootless.store.set(id, img);
  const r = await buildOn(rootless, project.tree(chain()));
  expect(ran(r)).toEqual(['app:one', 'app:two', 'leaf:end']); // the bootstrap runs no container: not keyed on one
  expect(reasonsOf(r, 'app:one')).toEqual([{ part: 'executor' }]);
});

test('a failed step moves no tag, keeps its state as failed-<step>, and the rerun resumes at it', async () => {
  const repo = project.tree(chain()).repository;
  const failing = await buildOn(engine, project.tree(chain({ second: 'append /one half\nfail 3' })));
  expect(failing.summary.ok).toBe(false);
  expect(ran(failing)).toEqual(['base:bootstrap', 'app:one']);
  expect(failing.events).toContainEqual(
    expect.objectContaining({ type: 'step-failed', node: 'app', step: 'two', exitCode: 3, failedImage: `${repo}/app:failed-two` }),
  );
  expect(failing.events).toContainEqual(expect.objectContaining({ type: 'node-skipped', node: 'leaf' }));
  expect(engine.file(`${repo}/app:failed-two`, '/one')).toBe('hello\nhalf\n');
  expect(engine.file(`${repo}/app:two`, '/one')).toBeUndefined();
  expect(engine.live.size).toBe(0);
  const rerun = await buildOn(engine, project.tree(chain()));
  expect(cached(rerun)).toEqual(['base:bootstrap', 'app:one']);
  expect(ran(rerun)).toEqual(['app:two', 'leaf:end']);
});

test('on a failure nothing new starts; --keep-going finishes the independent branches', async () => {
  const tree = () =>
    project.tree({
      base: { bootstrap: 'tarball' },
      bad: { from: 'base', steps: [{ name: 'boom', run: 'fail 2' }] },
      good: { from: 'base', steps: [{ name: 'fine', run: 'write /ok yes' }] },
    });
  const stop = await buildOn(engine, tree());
  expect(ran(stop)).toEqual(['base:bootstrap']);
  expect(stop.events).toContainEqual(expect.objectContaining({ type: 'node-skipped', node: 'good', reason: 'stopped' }));
  const going = await buildOn(engine, tree(), { keepGoing: true });
  expect(going.summary.ok).toBe(false);
  expect(ran(going)).toEqual(['good:fine']);
});

test("copies between nodes take the needed node's final image, and its change reruns the copying step", async () => {
  const tree = (tool: string) =>
    project.tree({
      base: { bootstrap: 'tarball' },
      tools: { from: 'base', steps: [{ name: 'make', run: `write /usr/bin/jq ${tool}` }] },
      app: {
        from: 'base',
        needs: ['tools'],
        copies: [{ from: 'tools', src: '/usr/bin/jq', dest: '/opt/jq' }],
        steps: [{ name: 'use', run: 'copy /opt/jq /used' }],
      },
    });
  const first = await buildOn(engine, tree('jq-1'));
  expect(first.summary.ok).toBe(true);
  const repo = tree('x').repository;
  expect(engine.file(`${repo}/app:final`, '/used')).toBe('jq-1\n');
  const second = await buildOn(engine, tree('jq-2'));
  expect(ran(second)).toEqual(['tools:make', 'app:use']);
  expect(reasonsOf(second, 'app:use')).toEqual([expect.objectContaining({ part: 'need', name: 'tools' })]);
  expect(engine.file(`${repo}/app:final`, '/used')).toBe('jq-2\n');
});

test('step inputs reach an engine that cannot see host paths: env and script by archive, caches as volumes', async () => {
  const tree = project.tree({
    base: { bootstrap: 'tarball' },
    app: { from: 'base', steps: [{ name: 'one', run: 'write /var/cache/apt/pkg $v\nwrite /seen $v', env: { v: 'it' } }] },
  });
  expect((await buildOn(engine, tree)).summary.ok).toBe(true);
  expect(engine.file(`${tree.repository}/app:one`, '/seen')).toBe('it\n');
  expect(engine.file(`${tree.repository}/app:one`, '/run/stalker/env')).toBeUndefined(); // never committed
  expect(engine.file(`${tree.repository}/app:one`, '/var/cache/apt/pkg')).toBeUndefined();
  expect(engine.volumes.get('stalker-cache-apt')?.get('pkg')?.toString()).toBe('it\n');
});

test('--rebuild reruns the node and everything downstream; --no-cache reruns everything', async () => {
  await buildOn(engine, project.tree(chain()));
  const r = await buildOn(engine, project.tree(chain()), { rebuild: ['app'] });
  expect(ran(r)).toEqual(['app:one', 'app:two', 'leaf:end']);
  expect(reasonsOf(r, 'leaf:end')).toEqual([{ part: 'forced', by: '--rebuild app' }]);
  const all = await buildOn(engine, project.tree(chain()), { noCache: true });
  expect(ran(all)).toEqual(['base:bootstrap', 'app:one', 'app:two', 'leaf:end']);
});

test('a cache:false step always runs, and so does what follows it', async () => {
  const tree = () =>
    project.tree({
      base: { bootstrap: 'tarball' },
      app: {
        from: 'base',
        steps: [
          { name: 'stamp', run: 'write /t now', cache: false },
          { name: 'after', run: 'write /a x' },
        ],
      },
    });
  await buildOn(engine, tree());
  expect(ran(await buildOn(engine, tree()))).toEqual(['app:stamp', 'app:after']);
});

test('an image bootstrap: present, it is reused as is; missing, the build fails before starting any step of it', async () => {
  await buildOn(engine, project.tree(chain()));
  const baseId = [...engine.store.values()].find((i) => i.tags.some((t) => t.endsWith('/base:bootstrap')))!.id;
  const tree = (ref: string) => project.tree({ img: { bootstrap: { image: ref } }, app: { from: 'img', steps: [{ name: 'one', run: 'write /x y' }] } });
  const ok = await buildOn(engine, tree(baseId));
  expect(cached(ok)).toEqual(['img:bootstrap']);
  expect(ran(ok)).toEqual(['app:one']);
  const missing = await buildOn(engine, tree(`sha256:${'0'.repeat(64)}`));
  expect(missing.summary.ok).toBe(false);
  expect(started(missing)).toEqual([]);
  expect(missing.summary.errors[0]).toMatchObject({ code: 'BOOTSTRAP_FAILED' });
});

test("Ctrl-C: the running step's container is removed, nothing new starts, the build says interrupted", async () => {
  const controller = new AbortController();
  engine.script = lineScript(() => controller.abort('SIGINT'));
  const tree = project.tree({
    base: { bootstrap: 'tarball' },
    app: {
      from: 'base',
      steps: [
        { name: 'wait', run: 'hang' },
        { name: 'next', run: 'write /n 1' },
      ],
    },
  });
  const r = await buildOn(engine, tree, { signal: controller.signal });
  expect(r.summary.ok).toBe(false);
  expect(r.summary.errors[0]).toMatchObject({ code: 'INTERRUPTED' });
  expect(started(r)).toEqual(['base:bootstrap', 'app:wait']);
  expect(r.events).toContainEqual(expect.objectContaining({ type: 'interrupted', signal: 'SIGINT' }));
  expect(engine.live.size).toBe(0);
  expect(engine.calls.filter((c) => c.startsWith('commit'))).toEqual([]);
});

test("the plan is the build's decision: what the plan says will run is what the build starts", async () => {
  const same = async (tree: ReturnType<FakeProject['tree']>, opts: { noCache?: boolean; rebuild?: string[] } = {}) => {
    const plan = toRun(await planOn(engine, tree, opts));
    const r = await buildOn(engine, tree, opts);
    expect(started(r)).toEqual(plan);
    return plan;
  };
  expect(await same(project.tree(chain()))).toEqual(['base:bootstrap', 'app:one', 'app:two', 'leaf:end']);
  expect(await same(project.tree(chain()))).toEqual([]);
  expect(await same(project.tree(chain({ second: 'append /one 2' })))).toEqual(['app:two', 'leaf:end']);
  expect(await same(project.tree(chain()), { rebuild: ['leaf'] })).toEqual(['leaf:end']);
  expect(await same(project.tree(chain()), { noCache: true })).toHaveLength(4);
  const missing = project.tree({ ...chain(), img: { bootstrap: { image: 'sha256:none' } }, on: { from: 'img', steps: [{ name: 's', run: 'echo' }] } });
  expect(await same(missing)).toEqual([]);
  expect((await planOn(engine, missing)).find((n) => n.node === 'on')!.steps[0]).toMatchObject({ state: 'blocked', waitsFor: 'img:bootstrap' });
});

test('a writer whose input is unchanged is skipped (no container, no write); a changed input or an edited output is not', async () => {
  const withWriter = (over: Parameters<typeof chain>[0] = {}) => project.tree({ ...chain(over), img: { from: 'app', writer: { output: 'out/x.img' } } });
  await buildOn(engine, project.tree(chain()));
  // the fingerprint a finished write leaves beside its output
  const w = treeKeys(withWriter(), engine.executor).get('img')!.steps[0];
  if (w.kind !== 'writer') throw new Error('expected the write step');
  mkdirSync(dirname(w.output), { recursive: true });
  writeFileSync(w.output, 'disk image bytes');
  const st = statSync(w.output);
  writeFileSync(fingerprintPath(w.output), JSON.stringify({ key: w.key, parts: w.parts, size: st.size, mtimeMs: Math.trunc(st.mtimeMs), sha256: 'x' }));
  const r = await buildOn(engine, withWriter());
  expect(r.summary.ok).toBe(true);
  expect(cached(r)).toContain('img:write');
  expect(engine.calls.filter((c) => c === 'create img:write')).toEqual([]);
  const changed = await planOn(engine, withWriter({ second: 'append /one changed' }));
  expect(changed.find((n) => n.node === 'img')!.steps[0]).toMatchObject({ state: 'run', reasons: [{ part: 'input' }] });
  utimesSync(w.output, new Date(), new Date(Date.now() + 5000)); // the image was edited since
  const edited = (await planOn(engine, withWriter())).find((n) => n.node === 'img')!.steps[0];
  expect(edited).toMatchObject({ state: 'run', note: expect.stringContaining('changed or went missing') });
});

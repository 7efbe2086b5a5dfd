// The build over several engines, on two in-memory engines: each node runs where routing put it
// (every step of a node on that engine, named in the events), an image a node needs from the other
// engine is streamed there once (save -> load), a rerun runs and moves nothing, and an unroutable
// platform stops the build before any step.
import { ConfigError } from '../../lib/errors.js';
import type { BuildSite } from '../../lib/run/build-engines.js';
import { buildOn, ran } from '../support/fake-build.js';
import { FakeEngine } from '../support/fake-engine.js';
import { type FakeProject, fakeProject } from '../support/fake-tree.js';

let project: FakeProject;
beforeAll(async () => {
  project = await fakeProject('severalt');
});
afterAll(() => project.cleanup());

const tree = () =>
  project.tree({
    base: { bootstrap: 'tarball', steps: [{ name: 'make', run: 'make' }] },
    arm: { bootstrap: 'tarball', platform: 'linux/arm64', steps: [{ name: 'one', run: 'one' }] },
    armuser: {
      from: 'arm',
      needs: ['base'],
      platform: 'linux/arm64',
      copies: [{ from: 'base', src: '/out', dest: '/in' }],
      steps: [
        { name: 'use', run: 'use' },
        { name: 'more', run: 'more' },
      ],
    },
  });

function site(a: FakeEngine, b: FakeEngine, bPlatforms = ['linux/arm64']): BuildSite {
  return {
    file: 'engines.hjson',
    engines: [
      { name: 'a', engine: a, platforms: ['linux/amd64'], emulates: [], push: true },
      { name: 'b', engine: b, platforms: bPlatforms, emulates: [], push: true, where: 'unix:///b.sock' },
    ],
  };
}

test('nodes run on their engines, named in the events; a copy source is streamed across once', async () => {
  const a = new FakeEngine('fake', 'a');
  const b = new FakeEngine('fake', 'b');
  const script = (engine: string) => (r: { files: Map<string, Buffer>; script: string }) => {
    if (r.script.includes('make')) r.files.set('/out/x', Buffer.from(`made on ${engine}`));
    if (r.script.includes('use') && r.files.get('/in/x')?.toString() !== 'made on a') return 1;
    return 0;
  };
  a.script = script('a');
  b.script = script('b');
  const r = await buildOn(a, tree(), { site: site(a, b), jobs: 2 });
  if (!r.summary.ok) throw new Error(r.summary.errors.map(String).join('\n'));
  const starts = Object.fromEntries(r.events.flatMap((e) => (e.type === 'node-start' ? [[e.node, `${e.engine}/${e.route}`]] : [])));
  expect(starts).toEqual({ base: 'a/native', arm: 'b/native', armuser: 'b/native' });
  const stepEngine = Object.fromEntries(r.events.flatMap((e) => (e.type === 'step-done' ? [[`${e.node}:${e.step}`, e.engine]] : [])));
  expect(stepEngine).toEqual({ 'base:bootstrap': 'a', 'base:make': 'a', 'arm:bootstrap': 'b', 'arm:one': 'b', 'armuser:use': 'b', 'armuser:more': 'b' });
  expect(r.events.filter((e) => e.type === 'image-moved')).toEqual([expect.objectContaining({ node: 'base', from: 'a', to: 'b', via: 'stream' })]);
  expect(a.calls.filter((c) => c.startsWith('save'))).toHaveLength(1);
  expect(b.calls.filter((c) => c.startsWith('load'))).toHaveLength(1);
  expect(b.calls.some((c) => c.startsWith('create base:'))).toBe(false);
  const again = await buildOn(a, tree(), { site: site(a, b), jobs: 2 });
  expect(ran(again)).toEqual([]);
  expect(again.events.filter((e) => e.type === 'image-moved')).toEqual([]);
});

test("no engine runs a node's platform: a config error naming the node, before any step", async () => {
  const a = new FakeEngine('fake', 'a');
  const b = new FakeEngine('fake', 'b');
  const events: string[] = [];
  await expect(buildOn(a, tree(), { site: site(a, b, ['linux/riscv64']), onEvent: (e) => events.push(e.type) })).rejects.toBeInstanceOf(ConfigError);
  expect(events).not.toContain('step-start');
  expect(a.calls.concat(b.calls).filter((c) => c.startsWith('create'))).toEqual([]);
});

test('an engine declaring no platforms runs what it reports (the fake: amd64 native, arm64 emulated)', async () => {
  const a = new FakeEngine('fake', 'a');
  const b = new FakeEngine('fake', 'b');
  const s = site(a, b);
  s.engines[0].platforms = [];
  const r = await buildOn(a, project.tree({ base: { bootstrap: 'tarball' }, arm: { bootstrap: 'tarball', platform: 'linux/arm64' } }), {
    site: { ...s, engines: [s.engines[0]] },
  });
  expect(r.summary.ok).toBe(true);
  expect(r.events.flatMap((e) => (e.type === 'node-start' ? [`${e.node} ${e.engine}/${e.route}`] : []))).toEqual(['base a/native', 'arm a/emulated']);
});

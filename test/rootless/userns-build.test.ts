// The userns backend as an ordinary user runs it (no root, no daemon): a chain of steps on a
// busybox root, ownership kept in committed layers, deletions as OCI whiteouts, a cached rerun,
// a failure then a resume that reruns only from the failed step.
import { execFileSync } from 'node:child_process';
import { readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { lastLayer, refs } from '../support/oci-store-read.js';
import { makeProject } from '../support/project.js';
import { chownTo, type RootlessUser, rootlessUser, stalkerAs, userDir } from '../support/rootless-user.js';
import { tarballTree } from '../support/tarball-tree.js';
import { rootPartition, writerTree } from '../support/written-image.js';

const TREE = `rl${process.pid}`;
let user: RootlessUser;
let work: string;
let store: string;
let tree: string;
let root: string;

const chain = (third: string) => ({
  [`trees/${TREE}/${TREE}.hjson`]: tarballTree('app: { from: "base", stalk: "app" }', { repository: TREE }),
  'stalks/app/app.hjson': `{ steps: [
    { name: "own", script: "own.sh" }
    { name: "del", run: "rm /srv/gone; rm -rf /opt/box; mkdir /opt/box; echo new > /opt/box/only" }
    { name: "third", run: "${third}" }
  ] }`,
  'stalks/app/own.sh': `#!/bin/sh -e
mkdir -p /srv/data /opt/box
echo a > /srv/data/a; chown 1000:1000 /srv/data/a
echo n > /srv/data/n; chown 65534:65534 /srv/data/n; chmod 4750 /srv/data/n
echo x > /srv/gone; echo old > /opt/box/old
id -u > /srv/uid
[ "$(hostname)" = stalker ] # every step's host name, as on Docker, not the build machine's
`,
});

beforeAll(() => {
  user = rootlessUser();
  work = userDir(user);
  store = join(work, 'store');
  const p = makeProject(TREE, chain('echo third; test -f /opt/box/only'));
  root = p.root;
  tree = p.tree;
  chownTo(user, root);
});

afterAll(() => {
  // the store holds files of the user's subordinate ids: remove as root
  rmSync(work, { recursive: true, force: true });
  rmSync(root, { recursive: true, force: true });
});

const build = () => stalkerAs(user, store, ['--config', tree, '--progress', 'plain']);
const ok = (r: ReturnType<typeof build>) => {
  if (r.status !== 0) throw new Error(`exit ${r.status}\n${r.stdout}\n${r.stderr}`);
};

test('a chain of steps builds as an ordinary user; owners other than root survive the commit', async () => {
  const r = build();
  ok(r);
  expect(r.stdout).toMatch(/3 ran|4 ran/);
  const own = await lastLayer(store, `${TREE}/app:own`);
  const byName = new Map(own.map((e) => [e.name, e]));
  expect(byName.get('srv/data/a')).toMatchObject({ uid: 1000, gid: 1000 });
  expect(byName.get('srv/data/n')).toMatchObject({ uid: 65534, gid: 65534, mode: 0o4750 });
  expect(byName.get('srv/uid')).toMatchObject({ uid: 0 });
  // the bind-mount stand-ins (/run/stalker, /etc/resolv.conf) stay out of the layer
  expect(own.map((e) => e.name)).not.toContain('run/stalker');
  expect(own.map((e) => e.name)).not.toContain('etc/resolv.conf');
  // deletions are OCI whiteouts; a directory removed and made again is opaque
  const del = (await lastLayer(store, `${TREE}/app:del`)).map((e) => e.name);
  expect(del).toEqual(expect.arrayContaining(['srv/.wh.gone', 'opt/box/.wh..wh..opq', 'opt/box/only']));
  expect(del).not.toContain('opt/box/old');
  // on the host, those files belong to the user's subordinate ids, never to root or to 1000
  const layers = join(store, 'layers');
  const owners = readdirSync(layers)
    .filter((d) => !d.startsWith('.'))
    .flatMap((d) => {
      try {
        return [statSync(join(layers, d, 'srv/data/a')).uid];
      } catch {
        return [];
      }
    });
  expect(owners).toEqual([user.subStart + 999]);
}, 120_000);

test('a rerun is all cache hits and starts nothing', () => {
  const r = build();
  ok(r);
  expect(r.stdout).toMatch(/0 ran, 4 cached/);
  expect(readdirSync(join(store, 'containers'))).toEqual([]);
}, 60_000);

test('a failed step moves no tag and leaves its state under a failure tag; the fixed tree resumes from it', async () => {
  writeFileSync(join(root, 'stalks/app/app.hjson'), chain('echo broken >&2; exit 7')['stalks/app/app.hjson']);
  chownTo(user, root);
  const before = refs(store).filter((r) => r.endsWith(':third'));
  const failed = build();
  expect(failed.status).toBe(1);
  expect(failed.stdout + failed.stderr).toMatch(/third.*(exit|code) 7|exit code 7/s);
  expect(refs(store).filter((r) => r.endsWith(':third'))).toEqual(before);
  expect(refs(store).some((r) => r.startsWith(`${TREE}/app:`) && r.includes('third') && !r.endsWith(':third'))).toBe(true);
  writeFileSync(join(root, 'stalks/app/app.hjson'), chain('echo fixed > /fixed')['stalks/app/app.hjson']);
  chownTo(user, root);
  const resumed = build();
  ok(resumed);
  expect(resumed.stdout).toMatch(/1 ran, 3 cached/);
  expect((await lastLayer(store, `${TREE}/app:third`)).map((e) => e.name)).toContain('fixed');
  expect(readdirSync(join(store, 'containers'))).toEqual([]);
}, 120_000);

test('the store is an OCI layout other tools read (skopeo, installed by bin/setup)', () => {
  const out = execFileSync('skopeo', ['inspect', '--config', `oci:${join(store, 'oci')}:${TREE}/app:third`], { encoding: 'utf8' });
  const config = JSON.parse(out) as { architecture: string; config: { Labels: Record<string, string> }; rootfs: { diff_ids: string[] } };
  expect(config.config.Labels['stalker.node']).toBe('app');
  expect(config.config.Labels['stalker.key']).toMatch(/^[0-9a-f]{64}$/);
  expect(config.architecture).toBe('amd64');
  expect(config.rootfs.diff_ids).toHaveLength(4); // the root and three steps
});

test('the writer writes a disk image from a userns-built node, as the same user; fsck finds it clean and the owners kept', () => {
  const w = makeProject(`${TREE}w`, writerTree(`${TREE}w`, tarballTree));
  chownTo(user, w.root);
  try {
    const r = stalkerAs(user, store, ['--config', w.tree, '--progress', 'plain']);
    ok(r);
    const img = join(w.root, 'out/test.img');
    expect(statSync(img).uid).toBe(user.uid);
    const p2 = rootPartition(img); // e2fsck -fn: throws unless clean
    expect(p2.stat('/home/pi/note')).toMatch(/User:\s+1000\s+Group:\s+1000/);
    expect(p2.stat('/usr/bin/suid-thing')).toMatch(/Mode:\s+04755/);
    expect(p2.cat('/etc/hostname').trim()).toBe('rl-board');
  } finally {
    rmSync(w.root, { recursive: true, force: true });
  }
}, 180_000);

test('an arm64 node runs through the host binfmt handler (F flag) inside the namespace', () => {
  const a = makeProject(`${TREE}a`, {
    [`trees/${TREE}a/${TREE}a.hjson`]: tarballTree('arm: { from: "base", stalk: "arm" }', { arch: 'arm64', repository: `${TREE}a` }),
    'stalks/arm/arm.hjson': '{ steps: [ { name: "uname", run: "test \\"$(uname -m)\\" = aarch64; uname -m > /arch" } ] }',
  });
  chownTo(user, a.root);
  try {
    const r = stalkerAs(user, store, ['--config', a.tree, '--progress', 'plain']);
    ok(r);
    expect(r.stdout).toMatch(/arm:uname done/); // the step tests uname -m = aarch64 itself
  } finally {
    rmSync(a.root, { recursive: true, force: true });
  }
}, 180_000);

test('prune removes the images of a tree from the store, and the unpacked layers only they used', () => {
  const layers = () => readdirSync(join(store, 'layers')).filter((d) => !d.startsWith('.')).length;
  const before = layers();
  const r = stalkerAs(user, store, ['prune', '--tree', TREE, '--yes']);
  ok(r);
  expect(refs(store).filter((x) => x.startsWith(`${TREE}/`))).toEqual([]);
  expect(layers()).toBeLessThan(before);
  expect(refs(store).some((x) => x.startsWith(`${TREE}w/`))).toBe(true); // another tree's images stay
}, 60_000);

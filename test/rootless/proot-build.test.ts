// The proot backend as an ordinary user: a chain on a busybox root, deletions as whiteouts, a
// cached rerun, a failure then a resume; owners a step gives with chown reach the committed
// layers and the exported root (stalker's proot records the chowns that -0 fakes: README).
import { execFileSync, spawnSync } from 'node:child_process';
import { readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { lastLayer, tarEntries } from '../support/oci-store-read.js';
import { makeProject } from '../support/project.js';
import { chownTo, type RootlessUser, rootlessUser, stalkerAs, userDir } from '../support/rootless-user.js';
import { tarballTree } from '../support/tarball-tree.js';
import { rootPartition, writerTree } from '../support/written-image.js';

const TREE = `pr${process.pid}`;
let user: RootlessUser;
let work: string;
let store: string;
let root: string;
let tree: string;

const stalk = (third: string) => `{ steps: [
  { name: "make", run: "mkdir -p /srv/d; echo a > /srv/a; echo b > /srv/b; chown 1000:1000 /srv/a; ln -s a /srv/link; chown -h 33:33 /srv/link; chown 65534:65534 /srv/d; echo r > /srv/r; chown 7:7 /srv/r; chown 0:0 /srv/r" }
  { name: "del", run: "rm /srv/b; test ! -e /srv/b; test $(cat /srv/link) = a; chgrp 42 /srv/a; mv /srv/d /srv/e; echo n > /srv/e/new" }
  { name: "third", run: "${third}" }
] }`;

beforeAll(() => {
  user = rootlessUser();
  work = userDir(user);
  store = join(work, 'store');
  const p = makeProject(TREE, {
    [`trees/${TREE}/${TREE}.hjson`]: tarballTree('app: { from: "base", stalk: "app" }', { repository: TREE }),
    'stalks/app/app.hjson': stalk('echo third > /third'),
  });
  root = p.root;
  tree = p.tree;
  chownTo(user, root);
});

afterAll(() => {
  rmSync(work, { recursive: true, force: true });
  rmSync(root, { recursive: true, force: true });
});

const build = () => stalkerAs(user, store, ['--config', tree, '--progress', 'plain'], { STALKER_ENGINE: 'proot' });
const ok = (r: ReturnType<typeof build>) => {
  if (r.status !== 0) throw new Error(`exit ${r.status}\n${r.stdout}\n${r.stderr}`);
};

test('a chain builds under proot; deletions are whiteouts; owners given by chown are committed', async () => {
  const r = build();
  ok(r);
  expect(r.stdout).toMatch(/app:third done/);
  const make = new Map((await lastLayer(store, `${TREE}/app:make`)).map((e) => [e.name, e]));
  expect(make.get('srv/a')).toMatchObject({ uid: 1000, gid: 1000 });
  expect(make.get('srv/link')).toMatchObject({ type: 'symlink', uid: 33, gid: 33 });
  expect(make.get('srv/d')).toMatchObject({ type: 'directory', uid: 65534, gid: 65534 });
  expect(make.get('srv/r')).toMatchObject({ uid: 0, gid: 0 }); // chowned away and back
  const del = new Map((await lastLayer(store, `${TREE}/app:del`)).map((e) => [e.name, e]));
  expect([...del.keys()]).toEqual(expect.arrayContaining(['srv/.wh.b', 'srv/.wh.d']));
  expect(del.get('srv/a')).toMatchObject({ uid: 1000, gid: 42 }); // a change of owner alone is a change
  expect(del.get('srv/e')).toMatchObject({ uid: 65534, gid: 65534 }); // a rename keeps the owner
  expect(del.get('srv/e/new')).toMatchObject({ uid: 0, gid: 0 });
  expect(del.has('srv/link')).toBe(false); // unchanged files stay out of the diff
  // the exported root (what the writer gets) has those owners too
  const out = join(work, 'app.tar');
  ok(stalkerAs(user, store, ['export', 'app', '--config', tree, '--output', out], { STALKER_ENGINE: 'proot' }));
  const exported = new Map((await tarEntries(out)).map((e) => [e.name, e]));
  expect(exported.get('srv/a')).toMatchObject({ uid: 1000, gid: 42 });
  expect(exported.get('srv/link')).toMatchObject({ uid: 33, gid: 33 });
  expect(exported.get('srv/e')).toMatchObject({ uid: 65534, gid: 65534 });
  expect(exported.get('srv/e/new')).toMatchObject({ uid: 0, gid: 0 });
  expect(exported.get('bin/busybox')).toMatchObject({ uid: 0, gid: 0 });
}, 120_000);

test('a rerun is all hits; a failure moves no tag and the fixed tree resumes at the failed step', () => {
  const again = build();
  ok(again);
  expect(again.stdout).toMatch(/0 ran, 4 cached/);
  writeFileSync(join(root, 'stalks/app/app.hjson'), stalk('exit 5'));
  chownTo(user, root);
  const failed = build();
  expect(failed.status).toBe(1);
  writeFileSync(join(root, 'stalks/app/app.hjson'), stalk('echo fixed > /third'));
  chownTo(user, root);
  const resumed = build();
  ok(resumed);
  expect(resumed.stdout).toMatch(/1 ran, 3 cached/);
  expect(readdirSync(join(store, 'proot', 'containers'))).toEqual([]);
}, 120_000);

test('export --docker copies a node of the store into the local Docker, owners and all (skopeo)', () => {
  const ref = `${TREE}/app:final`;
  const r = spawnSync(join(process.cwd(), 'bin/stalker'), ['export', 'app', '--docker', '--config', tree], {
    encoding: 'utf8',
    env: { ...process.env, STALKER_ENGINE: 'proot', STALKER_STORE: store },
  });
  try {
    if (r.status !== 0) throw new Error(`exit ${r.status}\n${r.stderr}`);
    expect(r.stderr).toContain(`copied ${ref} into Docker as ${ref}`);
    const run = execFileSync('docker', ['run', '--rm', '--network', 'none', ref, 'sh', '-c', 'stat -c "%u:%g %n" /srv/a /srv/e; cat /third'], {
      encoding: 'utf8',
    });
    expect(run).toContain('1000:42 /srv/a');
    expect(run).toContain('65534:65534 /srv/e');
    expect(run).toContain('fixed');
  } finally {
    spawnSync('docker', ['rmi', '-f', ref], { stdio: 'ignore' });
  }
}, 120_000);

test('export --docker on the Docker engine is a usage error (exit 2), not a copy', () => {
  const r = spawnSync(join(process.cwd(), 'bin/stalker'), ['export', 'app', '--docker', '--config', tree], {
    encoding: 'utf8',
    env: { ...process.env, STALKER_ENGINE: 'docker' },
  });
  expect(r.status).toBe(2);
  expect(r.stderr).toMatch(/--docker copies from a rootless engine's store/);
});

test('the writer writes a disk image from a proot-built node, as the same user (under fakeroot); fsck finds it clean and the owners kept', () => {
  const w = makeProject(`${TREE}w`, writerTree(`${TREE}w`, tarballTree));
  chownTo(user, w.root);
  try {
    ok(stalkerAs(user, store, ['--config', w.tree, '--progress', 'plain'], { STALKER_ENGINE: 'proot' }));
    const img = join(w.root, 'out/test.img');
    expect(statSync(img).uid).toBe(user.uid);
    const p2 = rootPartition(img); // e2fsck -fn: throws unless clean
    expect(p2.stat('/home/pi/note')).toMatch(/User:\s+1000\s+Group:\s+1000/);
    expect(p2.stat('/usr/bin/suid-thing')).toMatch(/Mode:\s+04755/);
    expect(p2.stat('/bin/busybox')).toMatch(/User:\s+0\s+Group:\s+0/);
    expect(p2.cat('/etc/hostname').trim()).toBe('rl-board');
  } finally {
    rmSync(w.root, { recursive: true, force: true });
  }
}, 180_000);

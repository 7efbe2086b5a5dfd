// The proot backend as an ordinary user: a chain on a busybox root, deletions as whiteouts, a
// cached rerun, a failure then a resume; ownership as documented (README: under proot, every
// file of a committed layer is root's: proot -0 accepts a chown and forgets it).
import { readdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { lastLayer } from '../support/oci-store-read.js';
import { makeProject } from '../support/project.js';
import { chownTo, type RootlessUser, rootlessUser, stalkerAs, userDir } from '../support/rootless-user.js';
import { tarballTree } from '../support/tarball-tree.js';

const TREE = `pr${process.pid}`;
let user: RootlessUser;
let work: string;
let store: string;
let root: string;
let tree: string;

const stalk = (third: string) => `{ steps: [
  { name: "make", run: "mkdir -p /srv; echo a > /srv/a; echo b > /srv/b; chown 1000:1000 /srv/a; ln -s a /srv/link" }
  { name: "del", run: "rm /srv/b; test ! -e /srv/b; test $(cat /srv/link) = a" }
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

test('a chain builds under proot; deletions are whiteouts; a chown is not kept (as documented)', async () => {
  const r = build();
  ok(r);
  expect(r.stdout).toMatch(/app:third done/);
  const make = new Map((await lastLayer(store, `${TREE}/app:make`)).map((e) => [e.name, e]));
  expect(make.get('srv/a')).toMatchObject({ uid: 0, gid: 0 }); // chown 1000 forgotten: README
  expect(make.get('srv/link')).toMatchObject({ type: 'symlink' });
  const del = (await lastLayer(store, `${TREE}/app:del`)).map((e) => e.name);
  expect(del).toContain('srv/.wh.b');
  expect(del).not.toContain('srv/a'); // unchanged files stay out of the diff
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

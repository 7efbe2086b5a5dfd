// dpkg under the proot backend, in an arm64 root (proot -q qemu-aarch64-static), as an ordinary
// user: the proot stalker picks (the 5.4 bin/setup builds) installs a package, and `stalker
// doctor` says plainly that Debian's proot 5.1.0, which cannot, cannot.
import { existsSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { prootBinary, prootVersion } from '../../lib/engine/proot/proot-binary.js';
import { busyboxRoot } from '../support/busybox-root.js';
import { makeProject } from '../support/project.js';
import { chownTo, type RootlessUser, rootlessUser, stalkerAs, userDir } from '../support/rootless-user.js';
import { tarballTree } from '../support/tarball-tree.js';

const TREE = `pd${process.pid}`;
let user: RootlessUser;
let work: string;
let root: string;
let tree: string;

// a package made and installed in the root by the root's own dpkg-deb and dpkg (a busybox sh
// prefers its own dpkg applet: hence the full paths)
const STALK = `{ steps: [
  { name: "install", run: "mkdir -p /tmp/p/DEBIAN /tmp/p/usr/share/hello; printf 'Package: hello-stalker\\\\nVersion: 1.0\\\\nArchitecture: arm64\\\\nMaintainer: t <t@example.org>\\\\nDescription: t\\\\n' > /tmp/p/DEBIAN/control; echo hi > /tmp/p/usr/share/hello/hi; /usr/bin/dpkg-deb --root-owner-group -b /tmp/p /tmp/h.deb; /usr/bin/dpkg -i /tmp/h.deb; rm -rf /tmp/p /tmp/h.deb" }
  { name: "query", run: "/usr/bin/dpkg-query -W -f '\${Status} \${Architecture}\\\\n' hello-stalker | tee /installed; /usr/bin/dpkg --print-architecture" }
] }`;

beforeAll(() => {
  user = rootlessUser();
  work = userDir(user);
  const rootTar = busyboxRoot('arm64', ['dpkg', 'libc-bin']);
  const p = makeProject(TREE, {
    [`trees/${TREE}/${TREE}.hjson`]: tarballTree('pkgs: { from: "base", stalk: "pkgs" }', { repository: TREE, arch: 'arm64', root: rootTar }),
    'stalks/pkgs/pkgs.hjson': STALK,
  });
  root = p.root;
  tree = p.tree;
  chownTo(user, root);
}, 120_000);

afterAll(() => {
  rmSync(work, { recursive: true, force: true });
  rmSync(root, { recursive: true, force: true });
});

test('dpkg installs a package in an arm64 root under the proot stalker uses', () => {
  const used = prootBinary();
  const r = stalkerAs(user, join(work, 'store'), ['--config', tree, '--progress', 'plain'], {
    STALKER_ENGINE: 'proot',
    ...(process.env.STALKER_PROOT ? { STALKER_PROOT: process.env.STALKER_PROOT } : {}),
  });
  if (r.status !== 0) throw new Error(`exit ${r.status} with ${used} (${prootVersion(used)})\n${r.stdout}\n${r.stderr}`);
  expect(r.stdout).toMatch(/pkgs:query done/);
  const log = readFileSync(join(root, 'logs', TREE, 'latest', 'pkgs', 'query.log'), 'utf8');
  expect(log).toContain('install ok installed arm64');
  expect(log).toMatch(/^arm64$/m);
}, 300_000);

test('doctor says plainly when a proot cannot run dpkg (Debian bookworm/trixie 5.1.0)', () => {
  const old = '/usr/bin/proot';
  if (!existsSync(old) || !/^5\.[0-3]\./.test(prootVersion(old) ?? '')) return; // no old proot here to show
  const r = stalkerAs(user, join(work, 'store'), ['doctor', '--engine', 'proot'], { STALKER_PROOT: old });
  expect(r.status).toBe(1);
  expect(r.stdout).toMatch(/FAIL proot dpkg: \/usr\/bin\/proot cannot run dpkg: it does not translate faccessat2/);
  expect(r.stdout).toMatch(/FAIL proot owners: \/usr\/bin\/proot forgets the owners a step gives with chown/);
  const now = stalkerAs(user, join(work, 'store'), ['doctor', '--engine', 'proot']);
  expect(now.stdout).toMatch(new RegExp(`ok {3}engine: proot 5\\.4[^ ]* \\(${prootBinary().replace(/[/.]/g, '\\$&')}\\)`));
  expect(now.stdout).not.toMatch(/proot dpkg|proot owners/);
}, 120_000);

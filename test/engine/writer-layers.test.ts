// The writer reads a local Docker engine's image from its overlay2 layer directories (mounted as
// an overlay) instead of exporting a container, and the image is the same bytes either way. The
// fixture is made to tell them apart: files deleted and a directory replaced in a later layer
// (whiteouts, an opaque directory), hardlinks split and made by copy-up, mtimes with a fraction of
// a second (a tar has whole seconds), newer than the epoch (clamped: a copy-up in the overlay), a
// symlink dated in the future, a name that is not UTF-8, a sparse file, and everything the engine
// puts in a container (/.dockerenv, /etc/hosts, /etc/hostname, /etc/resolv.conf, /etc/mtab,
// /dev/console). The engine's layer directories are not changed by a write.
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdirSync, readFileSync, existsSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { openEngine } from '../../lib/engine/open-engine.js';
import { expectOk, ran, removeTreeArtifacts, runBuild } from '../support/build-harness.js';
import { makeProject, type TestProject } from '../support/project.js';
import { tarballTree } from '../support/tarball-tree.js';

const TREE = `wlayers${process.pid}`;
let project: TestProject;

beforeAll(() => {
  project = makeProject(TREE, {
    [`trees/${TREE}/${TREE}.hjson`]: tarballTree(`
      rootfs: { from: "base", stalk: "layered" }
      image: { from: "rootfs", writer: { output: "out/layers.img", layout: { boot: { size: "40MiB", fat: 16 }, root: { headroom: "8MiB" } } } }`),
    'stalks/layered/layered.hjson': `{ steps: [ { name: "first", script: "first.sh" }, { name: "second", script: "second.sh" } ] }`,
    'stalks/layered/first.sh': `#!/bin/sh -e
mkdir -p /boot/firmware /var/lib/dpkg /opt/gone /opt/replaced /etc
echo "arm_64bit=1" > /boot/firmware/config.txt
echo "root=/dev/mmcblk0p2 rootwait" > /boot/firmware/cmdline.txt
echo fraction > /opt/frac # dated now, nanoseconds and all: a second older than the epoch
sleep 1.1
printf 'Package: busybox\\nStatus: install ok installed\\nArchitecture: amd64\\nVersion: 1:1.37.0-6\\n\\n' > /var/lib/dpkg/status
echo old > /opt/gone/x; echo keep > /opt/gone/y; echo old > /opt/replaced/f
echo linked > /opt/a; ln /opt/a /opt/b
echo "written by the build host" > /etc/hostname
`,
    'stalks/layered/second.sh': `#!/bin/sh -e
sleep 1.1 # newer than the epoch (dpkg status, the step before)
rm /opt/gone/x
rm -rf /opt/replaced; mkdir /opt/replaced; echo new > /opt/replaced/g
touch /opt/a
echo pair > /opt/h1; ln /opt/h1 /opt/h2
ln -s /nowhere /opt/future; touch -h -d "2037-01-01 00:00:00" /opt/future
echo latin1 > "$(printf '/opt/caf\\351')"
dd if=/dev/zero of=/opt/sparse bs=1 count=0 seek=8388608 2>/dev/null; echo end >> /opt/sparse
`,
  });
});

const stale = () => join(project.root, 'out', '.stalker-writer-killed');

afterAll(async () => {
  spawnSync('umount', ['-l', join(stale(), 'root')]);
  await removeTreeArtifacts(TREE);
  project.cleanup();
});

const img = () => join(project.root, 'out/layers.img');
const writeLog = () => readFileSync(join(project.root, 'logs', TREE, 'image', 'write.log'), 'utf8');

/** Every entry of the image's layer directories: path, type, mode, owner, size, mtime (ns), links. */
function layerListing(id: string): string {
  const dirs = execFileSync('docker', ['image', 'inspect', id, '--format', '{{.GraphDriver.Data.UpperDir}}:{{.GraphDriver.Data.LowerDir}}'], {
    encoding: 'utf8',
  })
    .trim()
    .split(':')
    .filter((d) => d && d !== '<no value>');
  expect(dirs.length).toBeGreaterThanOrEqual(3);
  return execFileSync('find', [...dirs, '-printf', '%p %y %m %U:%G %s %T@ %n\\n'], { encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 });
}

test('an image written from its layers is the bytes of one written from an export', async () => {
  const first = await runBuild(project);
  expectOk(first);
  expect(ran(first)).toContain('image:write');
  expect(writeLog()).toMatch(/rootfs: the image's \d+ layers, mounted as an overlay/);
  const fromLayers = readFileSync(img());
  const input = (first.events.find((e) => e.type === 'node-done' && e.node === 'rootfs') as { image: string }).image;
  const layersBefore = layerListing(input);

  // a daemon whose paths are not ours (as a remote one) offers no layers: the writer exports
  await new Promise((r) => setTimeout(r, 1100));
  const exported = await runBuild(project, { rebuild: ['image'], engine: openEngine({ ...process.env, STALKER_HOST_PATHS: '0' }) });
  expectOk(exported);
  expect(ran(exported)).toEqual(['image:write']);
  expect(writeLog()).toMatch(/rootfs: exported from a container/);
  const fromExport = readFileSync(img());
  expect(fromExport.length).toBe(fromLayers.length);
  expect(fromExport.equals(fromLayers)).toBe(true);

  // nothing of the engine's layers changed: the overlay's upper took every write and clamp
  expect(layerListing(input)).toBe(layersBefore);
}, 240_000);

test('what the image holds: whiteouts applied, hardlinks kept, times clamped, stand-ins settled', () => {
  const table = JSON.parse(execFileSync('sfdisk', ['--json', img()], { encoding: 'utf8' }));
  const dev = `${img()}?offset=${table.partitiontable.partitions[1].start * 512}`;
  const debugfs = (cmd: string) => execFileSync('debugfs', ['-R', cmd, dev], { encoding: 'latin1', stdio: ['ignore', 'pipe', 'ignore'] });
  const ls = (p: string) =>
    debugfs(`ls -p ${p}`)
      .split('\n')
      .filter(Boolean)
      .map((l) => l.split('/'));
  const names = (p: string) => ls(p).map((f) => f[5]);
  expect(names('/opt/gone')).not.toContain('x');
  expect(names('/opt/gone')).toContain('y');
  expect(names('/opt/replaced')).toEqual(expect.arrayContaining(['g']));
  expect(names('/opt/replaced')).not.toContain('f');
  expect(names('/opt')).toContain('caf\xe9');
  const inode = (p: string) => ls('/opt').find((f) => f[5] === p)![1];
  expect(inode('h1')).toBe(inode('h2')); // one inode, as in the layer
  expect(inode('a')).not.toBe(inode('b')); // split by the copy-up of the step that touched a
  const mtime = (p: string) => parseInt(/ mtime: 0x([0-9a-f]+)/.exec(debugfs(`stat ${p}`))?.[1] ?? 'none', 16);
  const epoch = mtime('/var/lib/dpkg/status');
  expect(epoch).toBeGreaterThan(Date.now() / 1000 - 600);
  expect(mtime('/opt/future')).toBe(epoch);
  expect(mtime('/opt/h1')).toBe(epoch);
  expect(mtime('/opt/frac')).toBeLessThan(epoch);
  expect(debugfs('stat /opt/frac')).toMatch(/mtime: 0x[0-9a-f]+:00000000/);
  expect(debugfs('cat /etc/hostname')).toBe('raspi\n');
  expect(debugfs('cat /etc/resolv.conf')).toBe('');
  expect(debugfs('stat /etc/mtab')).toMatch(/Fast link dest: "..\/proc\/self\/mounts"/);
  expect(names('/')).not.toContain('.dockerenv');
  expect(names('/dev')).not.toContain('console');
  expect(names('/')).toEqual(expect.arrayContaining(['proc', 'sys']));
  expect(names('/dev')).toEqual(expect.arrayContaining(['pts', 'shm']));
});

test('a scratch directory left by a killed writer is unmounted and removed by the next write', async () => {
  const dead = spawnSync('true').pid!;
  const ns = execFileSync('readlink', ['/proc/self/ns/pid'], { encoding: 'utf8' }).trim();
  const stale = join(project.root, 'out', '.stalker-writer-killed');
  mkdirSync(join(project.root, 'out'), { recursive: true });
  for (const d of ['lower', 'upper', 'work', 'root']) mkdirSync(join(stale, d), { recursive: true });
  writeFileSync(join(stale, 'lower', 'f'), 'x');
  writeFileSync(join(stale, 'pid'), `${dead} ${ns}\n`);
  execFileSync('mount', ['-t', 'overlay', 'stale', '-o', `lowerdir=${stale}/lower,upperdir=${stale}/upper,workdir=${stale}/work`, `${stale}/root`]);
  const r = await runBuild(project, { rebuild: ['image'] });
  expectOk(r);
  expect(existsSync(stale)).toBe(false);
  expect(readFileSync('/proc/self/mountinfo', 'utf8')).not.toContain(stale);
}, 120_000);

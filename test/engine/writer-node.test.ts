// A writer node in the DAG: the rootfs streamed out of the engine becomes a disk image; unchanged
// input means the writer does not rerun; the empty stand-ins of bind mounts stay out of the image.
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { cached, expectOk, ran, removeTreeArtifacts, runBuild } from '../support/build-harness.js';
import { makeProject, type TestProject } from '../support/project.js';
import { tarballTree } from '../support/tarball-tree.js';

const TREE = `writ${process.pid}`;
let project: TestProject;

beforeAll(() => {
  project = makeProject(TREE, {
    [`trees/${TREE}/${TREE}.hjson`]: tarballTree(`
      rootfs: { from: "base", stalk: "fw" }
      image: { from: "rootfs", writer: { output: "out/test.img", hostname: "board-7", layout: { boot: { size: "64MiB" }, root: { headroom: "16MiB" } } } }`),
    'stalks/fw/fw.hjson': `{ steps: [ { name: "firmware", script: "fw.sh" } ] }`,
    'stalks/fw/fw.sh': `#!/bin/sh -e
mkdir -p /boot/firmware
echo "arm_64bit=1" > /boot/firmware/config.txt
echo "console=serial0,115200 root=/dev/mmcblk0p2 rootwait" > /boot/firmware/cmdline.txt
echo kernel > /boot/firmware/vmlinuz
printf '/dev/mmcblk0p2 / ext4 defaults 0 1\\n/dev/mmcblk0p1 /boot/firmware vfat defaults 0 2\\n' > /etc/fstab
test "$(cat /usr/local/bin/tool-note)" = "from sysroot"
`,
    'sysroot/usr/local/bin/tool-note': 'from sysroot',
  });
});

afterAll(async () => {
  await removeTreeArtifacts(TREE);
  project.cleanup();
});

const img = () => join(project.root, 'out/test.img');

function partitionOffset(n: number): number {
  const table = JSON.parse(execFileSync('sfdisk', ['--json', img()], { encoding: 'utf8' }));
  return table.partitiontable.partitions[n - 1].start * 512;
}

test('writes the image from the rootfs, with the hostname from config and no mount stand-ins', async () => {
  const r = await runBuild(project);
  expectOk(r);
  expect(ran(r)).toContain('image:write');
  expect(existsSync(img())).toBe(true);
  expect(readFileSync(`${img()}.sha256`, 'utf8')).toMatch(/^[0-9a-f]{64} {2}test\.img/);
  execFileSync('dd', [`if=${img()}`, 'bs=1M', `skip=${partitionOffset(2)}`, 'iflag=skip_bytes', 'status=none', `of=${img()}.p2`]);
  const cat = (p: string) => execFileSync('debugfs', ['-R', `cat ${p}`, `${img()}.p2`], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] });
  expect(cat('/etc/hostname').trim()).toBe('board-7');
  const ls = (p: string) => execFileSync('debugfs', ['-R', `ls ${p}`, `${img()}.p2`], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] });
  expect(ls('/usr/local/bin')).not.toContain('tool-note');
  expect(ls('/run')).not.toContain('stalker');
  const cmdline = execFileSync('mtype', ['-i', `${img()}@@${partitionOffset(1)}`, '::cmdline.txt'], { encoding: 'utf8' });
  expect(cmdline).toMatch(/root=(PARTUUID|LABEL|UUID)=\S+/);
}, 120_000);

test('an unchanged input does not rewrite the image', async () => {
  const before = readFileSync(`${img()}.sha256`, 'utf8');
  const r = await runBuild(project);
  expectOk(r);
  expect(ran(r)).toEqual([]);
  expect(cached(r)).toContain('image:write');
  expect(readFileSync(`${img()}.sha256`, 'utf8')).toBe(before);
}, 60_000);

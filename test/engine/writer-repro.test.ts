// The same input image written twice gives the same bytes, through the real engine: each write
// exports a fresh container, whose files the engine creates at that moment (/.dockerenv,
// /etc/hosts, /etc/hostname, /etc/resolv.conf, their directory), and the writes fall in different
// seconds. The rootfs's own files are new too (its step ran seconds ago), so no fixture time hides
// anything. The tree sets no sourceDateEpoch: the default must come from the image itself.
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { expectOk, ran, removeTreeArtifacts, runBuild } from '../support/build-harness.js';
import { makeProject, type TestProject } from '../support/project.js';
import { tarballTree } from '../support/tarball-tree.js';

const TREE = `wrepro${process.pid}`;
let project: TestProject;

beforeAll(() => {
  project = makeProject(TREE, {
    [`trees/${TREE}/${TREE}.hjson`]: tarballTree(`
      rootfs: { from: "base", stalk: "fw" }
      image: { from: "rootfs", writer: { output: "out/repro.img", layout: { boot: { size: "40MiB", fat: 16 }, root: { headroom: "8MiB" } } } }`),
    'stalks/fw/fw.hjson': `{ steps: [ { name: "firmware", script: "fw.sh" } ] }`,
    'stalks/fw/fw.sh': `#!/bin/sh -e
mkdir -p /boot/firmware /var/lib/dpkg
echo "arm_64bit=1" > /boot/firmware/config.txt
echo "root=/dev/mmcblk0p2 rootwait" > /boot/firmware/cmdline.txt
printf 'Package: busybox\\nStatus: install ok installed\\nArchitecture: amd64\\nVersion: 1:1.37.0-6\\n\\n' > /var/lib/dpkg/status
date > /etc/build-time
`,
  });
});

afterAll(async () => {
  await removeTreeArtifacts(TREE);
  project.cleanup();
});

const img = () => join(project.root, 'out/repro.img');
const sha = () => readFileSync(`${img()}.sha256`, 'utf8').split(' ')[0];

test('rewriting the same image gives identical bytes, seconds later, from a fresh export', async () => {
  const first = await runBuild(project);
  expectOk(first);
  expect(ran(first)).toContain('image:write');
  const bytes = readFileSync(img());
  // a new second for the second export's engine-made files and for the writer's own clock
  await new Promise((r) => setTimeout(r, 2100));
  const second = await runBuild(project, { rebuild: ['image'] });
  expectOk(second);
  expect(ran(second)).toEqual(['image:write']);
  const again = readFileSync(img());
  expect(again.length).toBe(bytes.length);
  expect(again.equals(bytes)).toBe(true);
  expect(sha()).toMatch(/^[0-9a-f]{64}$/);
  // the clamp is the image's dpkg status time, not 1980 and not the export's time
  const dumped = execFileSync('dumpe2fs', ['-h', `${img()}?offset=${partitionOffset(2)}`], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] });
  const created = /Filesystem created:\s+(.*)/.exec(dumped)?.[1];
  expect(new Date(`${created} UTC`).getFullYear()).toBeGreaterThanOrEqual(2025);
}, 180_000);

function partitionOffset(n: number): number {
  const table = JSON.parse(execFileSync('sfdisk', ['--json', img()], { encoding: 'utf8' }));
  return table.partitiontable.partitions[n - 1].start * 512;
}

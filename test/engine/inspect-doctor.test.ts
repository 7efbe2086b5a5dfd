// `stalker doctor` and `stalker binfmt` on this host: a healthy host passes; a missing tool, an
// engine that does not answer and an unregistered qemu handler each fail with how to fix them;
// `stalker binfmt` registers the missing handler (with the F flag) and leaves present ones alone.
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { readBinfmt } from '../../lib/inspect/binfmt.js';
import { busyboxRoot } from '../support/busybox-root.js';
import { makeProject, type TestProject } from '../support/project.js';
import { tarballTree } from '../support/tarball-tree.js';

const TREE = `inspdoc${process.pid}`;
const STALKER = join(process.cwd(), 'bin', 'stalker');
let project: TestProject;
let rv: TestProject;
const riscvWasRegistered = readBinfmt('riscv64').registered;

/** A second root node on another platform (a child must keep its parent's platform). */
const rootOn = (platform: string, root: { file: string; sha256: string }) =>
  `other: { platform: "${platform}", bootstrap: { kind: "tarball", file: "${root.file}", sha256: "${root.sha256}" } }`;

beforeAll(() => {
  project = makeProject(TREE, {
    [`trees/${TREE}/${TREE}.hjson`]: tarballTree(rootOn('linux/arm64', busyboxRoot('arm64'))),
    'stalks/x/x.hjson': '{ steps: [ { name: "s", run: "true" } ] }',
  });
  rv = makeProject(TREE, {
    [`trees/${TREE}/${TREE}.hjson`]: tarballTree(rootOn('linux/riscv64', busyboxRoot('amd64'))), // planned, never built
    'stalks/x/x.hjson': '{ steps: [ { name: "s", run: "true" } ] }',
  });
});

afterAll(() => {
  // Leave the host as it was: drop the riscv64 handler only if this test registered it.
  if (!riscvWasRegistered && readBinfmt('riscv64').registered) spawnSync('update-binfmts', ['--disable', 'qemu-riscv64']);
  project.cleanup();
  rv.cleanup();
});

const doctor = (p: TestProject, env: NodeJS.ProcessEnv = {}) =>
  spawnSync(STALKER, ['doctor', '--config', p.tree], { encoding: 'utf8', env: { ...process.env, ...env } });

test('a healthy host: engine, binfmt with F for arm64, disk, every tool; exit 0', () => {
  const r = doctor(project);
  expect(r.stdout).toMatch(/^ok {3}engine: Docker \S+, storage driver overlay2/m);
  expect(r.stdout).toMatch(/^ok {3}engine: .*; runs linux\/amd64 natively, [^;]*linux\/arm64[^;]* emulated; step inputs as bind mounts$/m); // the engine describes itself
  expect(r.stdout).toMatch(/^ok {3}binfmt linux\/arm64: qemu-aarch64 registered, flags \S*F\S*/m);
  expect(r.stdout).toMatch(/^ok {3}platform linux\/amd64: runs natively/m);
  expect(r.stdout).toMatch(/^ok {3}disk project: [\d.]+ GB free/m);
  for (const tool of ['mmdebstrap', 'mkfs.vfat', 'mkfs.ext4', 'sfdisk', 'mcopy', 'qemu-system-aarch64']) {
    expect(r.stdout).toMatch(new RegExp(`^ok {3}tool ${tool}: /`, 'm'));
  }
  expect(r.stdout.trim().split('\n').pop()).toMatch(/^all good/);
  expect(r.status).toBe(0);
}, 60_000);

test('a missing tool fails with the package to install', () => {
  const r = doctor(project, { PATH: '/usr/local/bin:/usr/bin:/bin' }); // no sbin: mkfs.*, sfdisk
  expect(r.status).toBe(1);
  expect(r.stdout).toMatch(
    /^FAIL tool mkfs\.vfat: mkfs\.vfat not found on PATH \(needed for the image writer \(boot partition\)\)\n {5}fix: apt-get install dosfstools$/m,
  );
  expect(r.stdout).toMatch(/^FAIL tool sfdisk: .*\n {5}fix: apt-get install fdisk$/m);
  expect(r.stdout).toMatch(/\d problem\(s\).*: see the fixes above/);
}, 60_000);

test('an engine that does not answer fails with how to start one', () => {
  const r = doctor(project, { DOCKER_HOST: 'unix:///nonexistent/docker.sock' });
  expect(r.status).toBe(1);
  expect(r.stdout).toMatch(/^FAIL engine: no Docker engine answers: .*\n {5}fix: run bin\/setup/m);
}, 60_000);

test('binfmt registers a handler the tree needs; doctor then passes', () => {
  if (riscvWasRegistered) {
    expect(doctor(rv).stdout).toMatch(/binfmt linux\/riscv64: qemu-riscv64 registered/);
    return;
  }
  const before = doctor(rv);
  expect(before.status).toBe(1);
  expect(before.stdout).toMatch(/^FAIL binfmt linux\/riscv64: qemu-riscv64 is not registered\n {5}fix: run `stalker binfmt` as root/m);
  const reg = spawnSync(STALKER, ['binfmt', '--config', rv.tree], { encoding: 'utf8' });
  expect(reg.stdout).toMatch(/^ok {3}qemu-riscv64 registered with flags \S*F/m);
  expect(reg.status).toBe(0);
  expect(readBinfmt('riscv64')).toMatchObject({ registered: true, enabled: true });
  const after = doctor(rv);
  expect(after.stdout).toMatch(/^ok {3}binfmt linux\/riscv64: qemu-riscv64 registered, flags \S*F/m);
  expect(after.status).toBe(0);
}, 60_000);

test('binfmt leaves a registered handler alone', () => {
  const before = readBinfmt('aarch64');
  const r = spawnSync(STALKER, ['binfmt', 'aarch64'], { encoding: 'utf8' });
  expect(r.stdout).toMatch(/^ok {3}qemu-aarch64 is registered with flags \S*F/m);
  expect(r.status).toBe(0);
  expect(readBinfmt('aarch64')).toEqual(before);
}, 30_000);

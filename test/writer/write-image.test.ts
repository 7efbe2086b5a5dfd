import { jest } from '@jest/globals';
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { writeImage, type WriterEvent, type WriterResult } from '../../lib/writer/write-image.js';
import type { WriterOptions } from '../../lib/writer/writer-options.js';
import { makeRootfsDir, sh, tarStream } from './rootfs-fixture.js';

jest.setTimeout(120_000);

const SMALL = { boot: { size: '40MiB' }, root: { headroom: '8MiB' } };
let out: string;
let rootfs: string;
let first: WriterResult;
const events: WriterEvent[] = [];

function opts(name: string, extra: Partial<WriterOptions> = {}): WriterOptions {
  return { output: join(out, name), seed: 'cache-key-1', hostname: 'pi-test', sourceDateEpoch: 1700000000, layout: SMALL, ...extra };
}

function extractPart(image: string, start: number, size: number, dest: string): string {
  sh('dd', [`if=${image}`, `of=${dest}`, 'bs=1M', `skip=${start / 1048576}`, `count=${size / 1048576}`, 'status=none', 'conv=sparse']);
  return dest;
}

const ext4 = (r: WriterResult) => `${r.image}?offset=${r.plan.root.start}`;
const fat = (r: WriterResult) => `${r.image}@@${r.plan.boot.start}`;
const debugfsCat = (r: WriterResult, path: string) => sh('debugfs', ['-R', `cat ${path}`, ext4(r)]);

beforeAll(async () => {
  out = mkdtempSync(join(tmpdir(), 'stalker-writer-test-'));
  rootfs = makeRootfsDir();
  first = await writeImage(tarStream(rootfs), opts('raspi.img'), (e) => events.push(e));
});

afterAll(() => {
  rmSync(out, { recursive: true, force: true });
  rmSync(rootfs, { recursive: true, force: true });
});

test('MBR table: FAT32 LBA bootable boot partition and Linux root, 4 MiB aligned, disk id from the seed', () => {
  const t = JSON.parse(sh('sfdisk', ['--json', first.image])).partitiontable;
  expect(t.label).toBe('dos');
  expect(t.id).toBe(`0x${first.ids.mbrDiskId}`);
  expect(t.partitions).toHaveLength(2);
  const [p1, p2] = t.partitions;
  expect(p1).toMatchObject({ start: 8192, size: 40 * 2048, type: 'c', bootable: true });
  expect(p2).toMatchObject({ start: 8192 + 40 * 2048, type: '83' });
  expect(p2.start % 8192).toBe(0);
  expect(p2.size % 8192).toBe(0);
});

test('both filesystems check clean (fsck.vfat -n, e2fsck -fn)', () => {
  const bootPart = extractPart(first.image, first.plan.boot.start, first.plan.boot.size, join(out, 'boot.part'));
  expect(() => sh('fsck.vfat', ['-n', bootPart])).not.toThrow();
  expect(() => sh('e2fsck', ['-fn', ext4(first)])).not.toThrow();
  const label = sh('dumpe2fs', ['-h', ext4(first)]);
  expect(label).toMatch(/Filesystem volume name:\s+RASPIROOT/);
  expect(label).toContain(first.ids.ext4Uuid);
});

test("identity is the configured one, not Docker's", () => {
  expect(debugfsCat(first, '/etc/hostname')).toBe('pi-test\n');
  expect(debugfsCat(first, '/etc/hosts')).toMatch(/^127\.0\.1\.1\tpi-test$/m);
  expect(debugfsCat(first, '/etc/hosts')).not.toContain('172.17.0.2');
  expect(debugfsCat(first, '/etc/resolv.conf')).toBe('');
  expect(sh('debugfs', ['-R', 'ls -l /', ext4(first)])).not.toContain('.dockerenv');
  // Docker's stand-ins are 0755; the files the writer writes are Debian's 0644
  for (const f of ['/etc/hostname', '/etc/hosts', '/etc/resolv.conf'])
    expect([f, sh('debugfs', ['-R', `stat ${f}`, ext4(first)])]).toEqual([f, expect.stringMatching(/Mode:\s+0644/)]);
});

test('cmdline.txt and fstab name the partitions that were written', () => {
  const id = first.ids.mbrDiskId;
  const cmdline = sh('mtype', ['-i', fat(first), '::/cmdline.txt']);
  expect(cmdline).toBe(`console=serial0,115200 console=tty1 root=PARTUUID=${id}-02 rw fsck.repair=yes rootwait\n`);
  const fstab = debugfsCat(first, '/etc/fstab');
  expect(fstab).toMatch(new RegExp(`^PARTUUID=${id}-02\\t/\\text4`, 'm'));
  expect(fstab).toMatch(new RegExp(`^PARTUUID=${id}-01\\t/boot/firmware\\tvfat`, 'm'));
  expect(fstab).toContain('proc\t/proc\tproc');
  expect(fstab).not.toContain('mmcblk0p2');
});

test('boot partition holds /boot/firmware; the root keeps an empty mount point', () => {
  expect(sh('mtype', ['-i', fat(first), '::/config.txt'])).toBe('arm_64bit=1\nenable_uart=1\n');
  expect(sh('mdir', ['-i', fat(first), '-b', '::/overlays'])).toContain('disable-bt.dtbo');
  const vol = sh('mdir', ['-i', fat(first), '::/']);
  expect(vol).toContain(`Volume Serial Number is ${first.ids.fatVolumeId.toUpperCase().slice(0, 4)}-`);
  expect(vol).toMatch(/Volume in drive : is RASPIFIRM/);
  const start4 = execFileSync('mtype', ['-i', fat(first), '::/start4.elf'], { env: { ...process.env, MTOOLSRC: '/dev/null' } });
  expect(start4.equals(readFileSync(join(rootfs, 'boot/firmware/start4.elf')))).toBe(true);
  expect(
    sh('debugfs', ['-R', 'ls /boot/firmware', ext4(first)])
      .trim()
      .split(/\s+/)
      .filter((x) => /^[a-z]/i.test(x) && !x.startsWith('(')),
  ).toEqual([]);
});

test('owners, modes, device nodes, symlinks and hardlinks survive', () => {
  const stat = (p: string) => sh('debugfs', ['-R', `stat ${p}`, ext4(first)]);
  expect(stat('/usr/share/doc/busybox/owned-by-bob')).toMatch(/User:\s+1000\s+Group:\s+1000/);
  expect(stat('/bin/suid-tool')).toMatch(/Mode:\s+04755/);
  expect(stat('/tmp')).toMatch(/Mode:\s+01777/);
  expect(stat('/dev/null')).toMatch(/Type: character special/);
  expect(stat('/bin/sh')).toMatch(/Type: symlink/);
  expect(stat('/usr/share/doc/busybox/README')).toMatch(/Links: 2/);
  expect(debugfsCat(first, '/bin/long-link')).toBeDefined();
});

test('writes .sha256 and a package manifest from the dpkg status', () => {
  const sum = sh('sha256sum', [first.image]).split(' ')[0];
  expect(first.sha256).toBe(sum);
  expect(readFileSync(first.checksumFile, 'utf8')).toBe(`${sum}  raspi.img\n`);
  const m = JSON.parse(readFileSync(first.manifestFile, 'utf8'));
  expect(m.packages).toEqual([
    { name: 'base-files', version: '12.4+deb12u5', arch: 'arm64' },
    { name: 'busybox-static', version: '1:1.35.0-4+b3', arch: 'arm64' },
    { name: 'raspi-firmware', version: '1.20230405+ds-1', arch: 'all' },
  ]);
  expect(events.filter((e) => e.type === 'writer:phase').map((e) => (e as { phase: string }).phase)).toEqual([
    'extract',
    'scan',
    'fixup',
    'partition',
    'boot-fs',
    'root-fs',
    'checksum',
    'manifest',
    'sbom',
    'bmap',
    'cleanup',
  ]);
});

test('reproducible: the same input and seed give identical bytes; another seed changes the ids', async () => {
  await new Promise((r) => setTimeout(r, 1100)); // a later second: unpack ctimes differ from the first run's
  const again = await writeImage(tarStream(rootfs), opts('again.img'));
  expect(again.sha256).toBe(first.sha256);
  const other = await writeImage(tarStream(rootfs), opts('other.img', { seed: 'cache-key-2' }));
  expect(other.sha256).not.toBe(first.sha256);
  expect(other.ids.mbrDiskId).not.toBe(first.ids.mbrDiskId);
  rmSync(again.image);
  rmSync(other.image);
});

test('GPT with LABEL references and zstd compression', async () => {
  const r = await writeImage(
    tarStream(rootfs),
    opts('gpt.img', {
      layout: { ...SMALL, table: 'gpt', reference: 'label', boot: { size: '40MiB', label: 'BOOTFS' }, root: { headroom: '10%', label: 'rootfs' } },
      compression: 'zstd',
    }),
  );
  const t = JSON.parse(sh('sfdisk', ['--json', r.image])).partitiontable;
  expect(t.label).toBe('gpt');
  expect(t.id.toLowerCase()).toBe(r.ids.gptDiskGuid);
  expect(t.partitions[0].uuid.toLowerCase()).toBe(r.ids.bootPartUuid);
  expect(t.partitions[1].type).toBe('0FC63DAF-8483-4772-8E79-3D69D8477DE4');
  expect(sh('mtype', ['-i', fat(r), '::/cmdline.txt'])).toContain(' root=LABEL=rootfs ');
  expect(debugfsCat(r, '/etc/fstab')).toMatch(/^LABEL=BOOTFS\t\/boot\/firmware/m);
  expect(() => sh('e2fsck', ['-fn', ext4(r)])).not.toThrow();
  expect(r.compressed?.path).toBe(`${r.image}.zst`);
  const unz = execFileSync('sh', ['-c', `zstd -dc '${r.compressed!.path}' | sha256sum`], { encoding: 'utf8' }).split(' ')[0];
  expect(unz).toBe(r.sha256);
  expect(readFileSync(`${r.image}.zst.sha256`, 'utf8')).toContain('  gpt.img.zst');
});

test('a fixed root size too small is refused before writing, naming partition and sizes', async () => {
  const big = makeRootfsDir({ bigFile: 12 * 1024 * 1024 });
  try {
    const o = opts('small.img', { layout: { ...SMALL, root: { size: '8MiB' } } });
    await expect(writeImage(tarStream(big), o)).rejects.toMatchObject({
      code: 'WRITER_PARTITION_TOO_SMALL',
      message: expect.stringMatching(/^root partition \(ext4\) needs \d+\.\d MiB but layout\.root\.size gives 8\.0 MiB$/),
    });
    expect(existsSync(o.output)).toBe(false);
    expect(existsSync(`${o.output}.partial`)).toBe(false);
  } finally {
    rmSync(big, { recursive: true, force: true });
  }
});

test('a rootfs without /boot/firmware is refused, naming what is missing', async () => {
  const noBoot = makeRootfsDir({ withBoot: false });
  try {
    await expect(writeImage(tarStream(noBoot), opts('noboot.img'))).rejects.toMatchObject({
      code: 'WRITER_MISSING_BOOT',
      message: expect.stringContaining('the rootfs has no /boot/firmware directory'),
    });
  } finally {
    rmSync(noBoot, { recursive: true, force: true });
  }
});

test('a broken tar stream fails with WRITER_EXTRACT and leaves no scratch behind', async () => {
  const { Readable } = await import('node:stream');
  await expect(writeImage(Readable.from([Buffer.alloc(1024, 7)]), opts('broken.img'))).rejects.toMatchObject({ code: 'WRITER_EXTRACT' });
  expect(sh('ls', ['-A', out])).not.toContain('.stalker-writer-');
});

test('a rootfs whose /boot is an absolute symlink is refused, not followed onto the host', async () => {
  const linked = makeRootfsDir();
  try {
    rmSync(join(linked, 'boot'), { recursive: true });
    symlinkSync('/boot', join(linked, 'boot'));
    await expect(writeImage(tarStream(linked), opts('linked.img'))).rejects.toMatchObject({
      code: 'WRITER_CONFIG',
      message: expect.stringContaining('passes through the symlink /boot'),
    });
  } finally {
    rmSync(linked, { recursive: true, force: true });
  }
});

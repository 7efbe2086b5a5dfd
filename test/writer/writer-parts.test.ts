import { rewriteCmdline, rewriteFstab, partitionRefs } from '../../lib/writer/partition-refs.js';
import { parseDpkgStatus } from '../../lib/writer/package-manifest.js';
import { usedInodes } from '../../lib/writer/build-ext4.js';
import { planDisk, sfdiskScript } from '../../lib/writer/disk-plan.js';
import { resolveLayout } from '../../lib/writer/writer-options.js';
import { deriveIds } from '../../lib/writer/seed-ids.js';
import { parseSize } from '../../lib/writer/sizes.js';
import { DPKG_STATUS } from './rootfs-fixture.js';

const MiB = 1024 * 1024;
const usage = (blockBytes: number, entries = 100) => ({ blockBytes, entries, directories: 10 });

test('cmdline: root= replaced in place, or appended; one line', () => {
  expect(rewriteCmdline('console=tty1 root=/dev/mmcblk0p2 rootwait\n', 'LABEL=R')).toBe('console=tty1 root=LABEL=R rootwait\n');
  expect(rewriteCmdline('console=tty1 rootwait', 'LABEL=R')).toBe('console=tty1 rootwait root=LABEL=R\n');
  expect(rewriteCmdline('root=x quiet\n\n', 'LABEL=R')).toBe('root=LABEL=R quiet\n');
});

test('fstab: / and boot lines rewritten, other lines kept, missing ones added', () => {
  const refs = { root: 'PARTUUID=abcd-02', boot: 'PARTUUID=abcd-01' };
  expect(rewriteFstab('# c\nproc /proc proc defaults 0 0\n', refs, '/boot/firmware')).toBe(
    '# c\nproc /proc proc defaults 0 0\nPARTUUID=abcd-02\t/\text4\trw,noatime,errors=remount-ro\t0\t1\nPARTUUID=abcd-01\t/boot/firmware\tvfat\trw,noatime,umask=0077\t0\t2\n',
  );
  expect(rewriteFstab('/dev/sda2 / ext4 ro 0 1\n/dev/sda1 /boot/firmware vfat defaults 0 2\n', refs, '/boot/firmware')).toBe(
    'PARTUUID=abcd-02\t/\text4\tro\t0\t1\nPARTUUID=abcd-01\t/boot/firmware\tvfat\tdefaults\t0\t2\n',
  );
});

test('references follow the table and mode', () => {
  const ids = deriveIds('k');
  expect(partitionRefs(resolveLayout({}), ids)).toEqual({ boot: `PARTUUID=${ids.mbrDiskId}-01`, root: `PARTUUID=${ids.mbrDiskId}-02` });
  expect(partitionRefs(resolveLayout({ table: 'gpt' }), ids).root).toBe(`PARTUUID=${ids.rootPartUuid}`);
  expect(partitionRefs(resolveLayout({ reference: 'uuid' }), ids).boot).toMatch(/^UUID=[0-9A-F]{4}-[0-9A-F]{4}$/);
  expect(deriveIds('k')).toEqual(ids);
  expect(deriveIds('k2').ext4Uuid).not.toBe(ids.ext4Uuid);
});

test('dpkg status: installed packages only, sorted', () => {
  expect(parseDpkgStatus(DPKG_STATUS).map((p) => p.name)).toEqual(['base-files', 'busybox-static', 'raspi-firmware']);
});

test('used inodes from dumpe2fs free ranges', () => {
  const dump = 'Inodes per group:         16\nGroup 0: (Blocks 0-9)\n  Free inodes: 12-14, 16\nGroup 1: (Blocks 10-19)\n  Free inodes: 17-32\n';
  expect(usedInodes(dump)).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 15]);
});

test('disk plan: defaults are the Raspberry Pi layout; sizes aligned; fixed sizes checked', () => {
  const layout = resolveLayout({});
  const plan = planDisk(layout, usage(MiB), usage(100 * MiB, 5000));
  expect(plan.boot).toEqual({ start: 4 * MiB, size: 256 * MiB });
  expect(plan.root.start).toBe(260 * MiB);
  expect(plan.root.size % (4 * MiB)).toBe(0);
  expect(plan.root.size).toBeGreaterThan(356 * MiB);
  expect(sfdiskScript(layout, plan, deriveIds('k'))).toContain('start=8192, size=524288, type=c, bootable');
  expect(() => planDisk(resolveLayout({ boot: { size: '64MiB' } }), usage(70 * MiB), usage(MiB))).toThrow(
    /^boot partition \(FAT, \/boot\/firmware\) needs .* but layout\.boot\.size gives 64\.0 MiB$/,
  );
  expect(() => resolveLayout({ boot: { label: 'MUCH-TOO-LONG-LABEL' } })).toThrow(/layout\.boot\.label/);
  expect(parseSize('1.5GiB', 'x')).toBe(1.5 * 1024 * MiB);
  expect(() => parseSize('12 parsecs', 'layout.root.size')).toThrow(/layout\.root\.size/);
});

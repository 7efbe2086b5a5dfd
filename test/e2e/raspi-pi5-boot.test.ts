// trees/raspi-pi5 (board pi5, trixie-backports' kernel): its image checked for what a Pi 5 reads
// (config.txt naming the one 7.x kernel, the Pi 5's two DTBs and no start*.elf on the FAT, the
// console on the debug UART, the kernel pinned to the backports suite) and booted on QEMU -M virt
// with the image's own kernel, initramfs and cmdline.txt (the console swapped for the virt board's
// UART), root by LABEL, to every agent ready. QEMU has no Pi 5 machine (no BCM2712, no RP1), so
// this boots the image's kernel and userland, not the board; the build's boot step checks the
// Pi 5's DTBs and drivers (stalks/raspi-boot) and kernel-bpo's check its initramfs.
import { rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadTree } from '../../lib/config/load-tree.js';
import { bootPartition, mdir, ROOT, rootDebugfs, run } from '../support/raspi-image.js';
import { buildTree } from '../support/tree-build.js';
import { bootVirt, exited, type VirtBoot, virtKernel } from '../support/virt-boot.js';

const TREE = join(ROOT, 'trees/raspi-pi5/raspi-pi5.hjson');
const IMAGE = join(ROOT, 'out/raspi-pi5.img');
const CONSOLE = join(ROOT, 'out/raspi-pi5-console.log');
const BUILD_LOG = join(ROOT, 'out/raspi-pi5-build.log');
const LIMIT_MS = Number(process.env.RASPI_PI5_LIMIT_MS ?? 8 * 60_000);
const PI5_DTBS = ['bcm2712-d-rpi-5-b.dtb', 'bcm2712-rpi-5-b.dtb'];

describe('trees/raspi-pi5: a Pi 5 image with trixie-backports kernel', () => {
  let agents: string[] = [];
  let work = '';
  let boot: VirtBoot | undefined;

  beforeAll(async () => {
    for (const tool of ['qemu-system-aarch64', 'mcopy', 'mtype', 'mdir', 'sfdisk', 'debugfs']) run('sh', ['-c', `command -v ${tool}`]);
    const tree = await loadTree(TREE, { root: ROOT });
    agents = (tree.nodes.get('agents')?.vars.agents ?? '').split(/\s+/).filter(Boolean);
    if (!agents.length) throw new Error('trees/raspi-pi5 names no agents');
    // every node up to system is trees/raspi's (found by key); kernel-bpo is minutes clean
    const { seconds, summary } = buildTree(TREE, BUILD_LOG);
    process.stdout.write(`raspi-pi5 build: ${seconds.toFixed(1)} s; ${summary}\n`);
    work = run('mktemp', ['-d', join(tmpdir(), 'raspi-pi5-XXXXXX')]).trim();
  }, 65 * 60_000);

  afterAll(async () => {
    await boot?.kill(); // our qemu only, by its pid
    if (work) rmSync(work, { recursive: true, force: true });
  });

  test('the FAT is a Pi 5 one: the backports kernel, the Pi 5 DTBs, no start files, the debug UART console', () => {
    const fat = bootPartition(IMAGE);
    expect(fat.kernel).toMatch(/^vmlinuz-7\.\d+\.\d+\+deb13-arm64$/);
    const files = mdir(fat.fat);
    expect(
      files
        .match(/[\w.+-]+\.dtb/g)
        ?.map((f) => f.trim())
        .sort(),
    ).toEqual(PI5_DTBS);
    expect(files).not.toMatch(/start\w*\.elf|fixup\w*\.dat|bootcode\.bin/);
    expect(files.match(/vmlinuz-\S+/g)).toEqual([fat.kernel]);
    expect(fat.cmdline.split(/\s+/)).toContain('console=ttyAMA10,115200');
    expect(fat.cmdline).toMatch(/(^|\s)root=LABEL=RASPIROOT(\s|$)/);
  });

  test('the root: one kernel, pinned to trixie-backports, everything else on trixie', () => {
    const debugfs = rootDebugfs(IMAGE);
    expect(debugfs('cat /etc/apt/preferences.d/stalker-kernel')).toMatch(/^Pin: release n=trixie-backports$/m);
    expect(debugfs('cat /etc/apt/sources.list.d/stalker-kernel.list')).toMatch(/^deb \S+ trixie-backports main/m);
    const kernels = debugfs('ls /usr/lib/modules').match(/\d+\.\d+\.\d+\+deb13-arm64/g);
    expect([...new Set(kernels)]).toEqual([bootPartition(IMAGE).kernel.replace(/^vmlinuz-/, '')]);
  });

  test(
    'its kernel boots it on QEMU virt to multi-user with every agent ready',
    async () => {
      const kernel = virtKernel(IMAGE, work);
      const started = Date.now();
      boot = await bootVirt({ image: IMAGE, work, console: CONSOLE, kernel });
      const deadline = Date.now() + LIMIT_MS;
      await boot.waitFor([/Reached target .*multi-user\.target/, ...agents.map((a) => new RegExp(`agent ${a} ready`))], deadline, 'multi-user and the agents');
      process.stdout.write(`raspi-pi5 on virt: every agent ready after ${((Date.now() - started) / 1000).toFixed(1)} s\n`);
      const text = boot.text();
      expect(text).toMatch(/Linux version 7\.\d+\.\d+\+deb13-arm64/);
      expect(text).toMatch(/EXT4-fs \(vda2\): mounted filesystem/);
      expect(text).not.toMatch(/Gave up waiting for root|Failed to mount .*boot-firmware|emergency mode/);
      await boot.powerDown();
      expect(await exited(boot.qemu, 60_000)).toBe(true);
      expect(boot.text()).toMatch(/reboot: Power down/);
    },
    LIMIT_MS + 120_000,
  );
});

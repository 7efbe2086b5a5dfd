// out/raspi.img on QEMU's raspi3b board, the way a Pi 3 meets it: the Pi 3's own DTB, kernel and
// initramfs taken from the image's FAT partition (as config.txt names them), the image itself as
// the SD card (QEMU wants a power-of-two size, so a sparse copy is grown to one), cmdline.txt as
// written (root=LABEL=RASPIROOT, found by the initramfs, console on the mini UART ttyS1).
//
// Emulator limits, dealt with on this boot's command line only (EMULATOR_ONLY); the image, its
// cmdline.txt and a real board keep their defaults, which the first test checks:
// - QEMU 7.2's bcm2835 watchdog model resets the board as soon as bcm2835_wdt arms it (systemd
//   does, RuntimeWatchdogSec from raspi-watchdog): modprobe.blacklist=bcm2835_wdt keeps the driver
//   out, so nothing arms it.
// - the emulated Pi 3 (TCG, four cores on a shared 2-core host) is many times slower than the
//   board: udev needs more than systemd's default 90 s to announce the FAT's by-label device, which
//   sends the boot to emergency mode, so device and start timeouts are raised to 10 min.
import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { bootPartition, buildRaspiImage, mcopy, ROOT, rootDebugfs, run, sdCard } from '../support/raspi-image.js';

const CONSOLE = join(ROOT, 'out/raspi3b-console.log');
const BUILD_LOG = join(ROOT, 'out/raspi3b-build.log');
const LIMIT_MS = Number(process.env.RASPI3B_LIMIT_MS ?? 12 * 60_000);
const EMULATOR_ONLY = ['modprobe.blacklist=bcm2835_wdt', 'systemd.default_device_timeout_sec=600', 'systemd.default_timeout_start_sec=600'];

const consoleText = () => (existsSync(CONSOLE) ? readFileSync(CONSOLE, 'utf8') : '');
const tail = (text: string, n = 60) => text.split('\n').slice(-n).join('\n');

describe('raspi.img on QEMU raspi3b with the Pi 3 DTB from its FAT', () => {
  let work = '';
  let qemu: ChildProcess | undefined;

  beforeAll(() => {
    for (const tool of ['qemu-system-aarch64', 'mcopy', 'mtype', 'sfdisk', 'debugfs', 'truncate']) run('sh', ['-c', `command -v ${tool}`]);
    const { seconds, summary } = buildRaspiImage(BUILD_LOG);
    process.stdout.write(`raspi build: ${seconds.toFixed(1)} s; ${summary}\n`);
    work = run('mktemp', ['-d', join(tmpdir(), 'raspi3b-XXXXXX')]).trim();
  }, 65 * 60_000);

  afterAll(() => {
    // our qemu only, by its pid
    if (qemu?.pid && qemu.exitCode === null && qemu.signalCode === null) process.kill(qemu.pid, 'SIGKILL');
    if (work) rmSync(work, { recursive: true, force: true });
  });

  test('the image keeps the watchdog: cmdline.txt does not blacklist it, the module is loaded at boot and systemd pets it', () => {
    const { cmdline } = bootPartition();
    expect(cmdline).not.toMatch(/bcm2835_wdt|timeout/);
    const debugfs = rootDebugfs();
    const cat = (path: string) => debugfs(`cat ${path}`);
    expect(cat('/etc/modules-load.d/bcm2835-wdt.conf')).toMatch(/^bcm2835_wdt$/m);
    expect(cat('/etc/systemd/system.conf.d/stalker-watchdog.conf')).toMatch(/^RuntimeWatchdogSec=\S+/m);
  });

  test(
    'boots the Pi 3 DTB to multi-user with the root found by LABEL on the SD card',
    async () => {
      const boot = bootPartition();
      for (const [from, to] of [
        [boot.kernel, 'vmlinuz'],
        [boot.initrd, 'initrd.img'],
        ['bcm2837-rpi-3-b.dtb', 'pi3.dtb'],
      ] as const)
        mcopy(boot.fat, from, join(work, to));
      expect(boot.cmdline).toMatch(/(^|\s)root=LABEL=RASPIROOT(\s|$)/);
      expect(boot.cmdline).toMatch(/(^|\s)console=ttyS1/);
      const sd = join(work, 'sd.img');
      sdCard(sd);
      rmSync(CONSOLE, { force: true });
      const append = [boot.cmdline, ...EMULATOR_ONLY].join(' ');
      const started = Date.now();
      // serial 0 is the PL011 (Bluetooth on a Pi 3), serial 1 the mini UART: cmdline.txt's ttyS1
      // (args one per line, as prettier lays them out)
      const args = ['-M', 'raspi3b', '-m', '1G', '-kernel', join(work, 'vmlinuz'), '-initrd', join(work, 'initrd.img'), '-dtb', join(work, 'pi3.dtb')];
      args.push('-append', append, '-drive', `file=${sd},if=sd,format=raw`, '-serial', 'null', '-serial', `file:${CONSOLE}`);
      args.push('-display', 'none', '-monitor', 'none', '-no-reboot');
      qemu = spawn('qemu-system-aarch64', args, { stdio: 'ignore' });
      const deadline = Date.now() + LIMIT_MS;
      for (;;) {
        const text = consoleText();
        if (/Reached target .*multi-user\.target|login:/.test(text)) break;
        if (/emergency mode/i.test(text)) throw new Error(`the boot went to emergency mode\n${tail(text)}`);
        if (qemu.exitCode !== null || qemu.signalCode !== null) throw new Error(`qemu exited (a board reset ends it: -no-reboot)\n${tail(text)}`);
        if (Date.now() > deadline) throw new Error(`no multi-user.target within ${LIMIT_MS / 1000} s\n${tail(text)}`);
        await new Promise((r) => setTimeout(r, 2000));
      }
      process.stdout.write(`raspi3b: multi-user after ${((Date.now() - started) / 1000).toFixed(0)} s\n`);
      const text = consoleText();
      expect(text).toMatch(/Machine model: Raspberry Pi 3 Model B/);
      // what the kernel was given is cmdline.txt plus the emulator-only arguments, nothing else
      expect(/Kernel command line: (.*)/.exec(text)?.[1]?.trim()).toBe(append);
      // the root: the SD card's second partition, mounted by the initramfs from root=LABEL=
      expect(text).toMatch(/EXT4-fs \(mmcblk0p2\): mounted filesystem/);
      expect(text).not.toMatch(/Gave up waiting for root|Failed to mount .*boot-firmware/);
    },
    LIMIT_MS + 120_000,
  );
});

// out/raspi.img on QEMU's raspi4b board (QEMU >= 9.0; trixie's 10.0 in a container made from
// Debian packages, test/support/qemu-container.ts), the way a Pi 4 meets it: the Pi 4's own
// bcm2711-rpi-4-b.dtb, kernel and initramfs taken from the image's FAT (as config.txt names them),
// the image as the SD card (a sparse copy grown to a power of two, as QEMU's SD model requires),
// cmdline.txt as written but for its serial console, the root found by the initramfs from
// root=LABEL=RASPIROOT, until multi-user and every agent ready.
//
// What QEMU 10.0's raspi4b lacks, and how this boot deals with it. Every change is on the
// emulator's side (QEMU's arguments, the kernel command line of this boot, the copy of the DTB
// handed to QEMU); the image, its cmdline.txt and its DTB keep their defaults, which the first
// test checks, and the second checks that the kernel got exactly cmdline.txt plus these:
// - no PCIe (so no VL805 xHCI: no USB on the Pi 4), no GENET Ethernet, no RNG200, no thermal
//   sensor: QEMU itself disables those nodes in the DTB it passes (its stderr says so). Nothing
//   here needs them: the console is the serial line, the root the SD card.
// - no firmware GPIO expander (the mailbox's GPIO config tags are not modelled): the SD card's
//   supplies (regulator-sd-io-1v8, regulator-sd-vcc) hang off it and never probe, so emmc2 waits
//   for them forever. The DTB copy handed to QEMU drops emmc2's vqmmc-supply and vmmc-supply
//   (fdtput -d, nothing else; the test diffs the two decompiled trees). emmc2's node is found by
//   its label (/emmc2bus/mmc@7e340000 in 6.12's DTB, /emmc2-bus@fe000000/mmc@7e340000 in 7.3's).
// - the SD card: QEMU 10.0 attaches -drive if=sd to the Arasan controller (mmc@7e300000, the
//   Pi 4's Wi-Fi SDIO), not to emmc2, the Pi 4's SD slot; -device sd-card puts it on emmc2 (the
//   first generic-sdhci on the system bus).
// - the HDMI/AON register block (0xfef00000) is not modelled and a read there is a synchronous
//   external abort (a panic at boot): initcall_blacklist= keeps its two built-in drivers out
//   (brcmstb_l2, the HDMI interrupt controller; brcmstb_i2c, the HDMI DDC), clk_ignore_unused
//   keeps the kernel off the DVP clock gates there.
// - the mini UART (cmdline.txt's ttyS1): opening it (the kernel's /dev/console) locks CPU0 in its
//   interrupt (a soft lockup in __setup_irq under univ8250_setup_irq): this boot's console is the
//   PL011 (ttyAMA0, QEMU's first serial port) instead; earlycon on it shows an early failure.
// - the bcm2835 watchdog model resets the board as soon as bcm2835_wdt arms it (measured: the
//   board reset at the driver's probe, as on QEMU 7.2's raspi3b): modprobe.blacklist=bcm2835_wdt.
// - TCG on a shared 2-core host is many times slower than the board: device and start timeouts
//   raised to 10 min (as raspi3b), the journal forwarded to the console to see the agents.
import { type ChildProcess } from 'node:child_process';
import { copyFileSync, existsSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadTree } from '../../lib/config/load-tree.js';
import { buildQemuImage, inQemuImage, startQemu, stopContainer } from '../support/qemu-container.js';
import { bootPartition, buildRaspiImage, mcopy, RASPI_TREE, ROOT, rootDebugfs, run, sdCard } from '../support/raspi-image.js';

const CONSOLE = join(ROOT, 'out/raspi4b-console.log');
const BUILD_LOG = join(ROOT, 'out/raspi4b-build.log');
const QEMU_BUILD_LOG = join(ROOT, 'out/raspi4b-qemu-build.log');
const LIMIT_MS = Number(process.env.RASPI4B_LIMIT_MS ?? 15 * 60_000);
const SERIAL = 'console=ttyS1,115200';
const EMULATOR_CONSOLE = 'console=ttyAMA0,115200';
const EMULATOR_ONLY = [
  'systemd.journald.forward_to_console=1',
  'earlycon=pl011,mmio32,0xfe201000',
  'initcall_blacklist=brcmstb_l2_driver_init,brcmstb_i2c_driver_init',
  'clk_ignore_unused',
  'modprobe.blacklist=bcm2835_wdt',
  'systemd.default_device_timeout_sec=600',
  'systemd.default_timeout_start_sec=600',
];
const SUPPLIES = ['vqmmc-supply', 'vmmc-supply'];

/** emmc2's node in a DTB of `work`, by its label (the DTB's __symbols__). */
const emmc2Node = (work: string, dtb: string) => inQemuImage(work, ['fdtget', '-t', 's', `/w/${dtb}`, '/__symbols__', 'emmc2']).trim();
const tail = (text: string, n = 60) => text.split('\n').slice(-n).join('\n');

describe('raspi.img on QEMU raspi4b with the Pi 4 DTB from its FAT', () => {
  let work = '';
  let agents: string[] = [];
  let qemu: ChildProcess | undefined;
  const container = `stalker-raspi4b-${process.pid}`;
  const console_ = () => (work && existsSync(join(work, 'console.log')) ? readFileSync(join(work, 'console.log'), 'utf8') : '');

  beforeAll(async () => {
    for (const tool of ['docker', 'mcopy', 'mtype', 'sfdisk', 'debugfs', 'truncate']) run('sh', ['-c', `command -v ${tool}`]);
    const tree = await loadTree(RASPI_TREE, { root: ROOT });
    agents = (tree.nodes.get('agents')?.vars.agents ?? '').split(/\s+/).filter(Boolean);
    if (!agents.length) throw new Error('trees/raspi names no agents');
    const image = buildRaspiImage(BUILD_LOG);
    process.stdout.write(`raspi build: ${image.seconds.toFixed(1)} s; ${image.summary}\n`);
    const emulator = buildQemuImage(QEMU_BUILD_LOG);
    process.stdout.write(`qemu-trixie build: ${emulator.seconds.toFixed(1)} s; ${emulator.summary}\n`);
    work = run('mktemp', ['-d', join(tmpdir(), 'raspi4b-XXXXXX')]).trim();
  }, 80 * 60_000);

  afterAll(() => {
    // our container only, by its name
    if (qemu && qemu.exitCode === null && qemu.signalCode === null) stopContainer(container);
    if (work) {
      if (existsSync(join(work, 'console.log'))) copyFileSync(join(work, 'console.log'), CONSOLE);
      rmSync(work, { recursive: true, force: true });
    }
  });

  test('the image keeps its defaults: the mini UART console, the SD supplies in its DTB, the watchdog armed by systemd', () => {
    const boot = bootPartition();
    expect(boot.cmdline.split(/\s+/)).toContain(SERIAL);
    expect(boot.cmdline).not.toMatch(/bcm2835_wdt|initcall_blacklist|clk_ignore_unused|ttyAMA0|timeout/);
    mcopy(boot.fat, 'bcm2711-rpi-4-b.dtb', join(work, 'image.dtb'));
    const props = inQemuImage(work, ['fdtget', '-p', '/w/image.dtb', emmc2Node(work, 'image.dtb')]).split('\n');
    for (const p of SUPPLIES) expect(props).toContain(p);
    const debugfs = rootDebugfs();
    const cat = (path: string) => debugfs(`cat ${path}`);
    expect(cat('/etc/modules-load.d/bcm2835-wdt.conf')).toMatch(/^bcm2835_wdt$/m);
    expect(cat('/etc/systemd/system.conf.d/stalker-watchdog.conf')).toMatch(/^RuntimeWatchdogSec=\S+/m);
  });

  test(
    'boots the Pi 4 DTB to multi-user and every agent ready, the root found by LABEL on emmc2',
    async () => {
      const boot = bootPartition();
      mcopy(boot.fat, boot.kernel, join(work, 'vmlinuz'));
      mcopy(boot.fat, boot.initrd, join(work, 'initrd.img'));
      mcopy(boot.fat, 'bcm2711-rpi-4-b.dtb', join(work, 'pi4.dtb'));
      // the copy QEMU gets: emmc2 without the supplies QEMU cannot provide, and nothing else changed
      copyFileSync(join(work, 'pi4.dtb'), join(work, 'pi4-qemu.dtb'));
      const emmc2Path = emmc2Node(work, 'pi4.dtb');
      for (const p of SUPPLIES) inQemuImage(work, ['fdtput', '-d', '/w/pi4-qemu.dtb', emmc2Path, p]);
      const dts = (f: string) => inQemuImage(work, ['dtc', '-q', '-I', 'dtb', '-O', 'dts', `/w/${f}`]).split('\n');
      const [imageLines, qemuLines] = [dts('pi4.dtb'), dts('pi4-qemu.dtb')];
      const dropped = imageLines.filter((l) => !qemuLines.includes(l));
      expect(dropped.map((l) => l.trim().replace(/ = .*/, ''))).toEqual(SUPPLIES);
      expect(qemuLines.filter((l) => !imageLines.includes(l))).toEqual([]);
      const sd = join(work, 'sd.img');
      sdCard(sd);
      expect(boot.cmdline).toMatch(/(^|\s)root=LABEL=RASPIROOT(\s|$)/);
      const args = boot.cmdline.split(/\s+/).map((a) => (a === SERIAL ? EMULATOR_CONSOLE : a));
      const append = [...args, ...EMULATOR_ONLY].join(' ');
      rmSync(CONSOLE, { force: true });
      const started = Date.now();
      const q = startQemu(container, work, [
        ...['-M', 'raspi4b', '-m', '2G', '-kernel', '/w/vmlinuz', '-initrd', '/w/initrd.img', '-dtb', '/w/pi4-qemu.dtb', '-append', append],
        ...['-drive', 'file=/w/sd.img,if=none,format=raw,id=card', '-device', 'sd-card,drive=card,bus=/generic-sdhci/sd-bus'],
        // serial 0 is the PL011 (this boot's console), serial 1 the mini UART
        ...['-serial', 'file:/w/console.log', '-serial', 'null', '-display', 'none', '-monitor', 'none', '-no-reboot'],
      ]);
      qemu = q.qemu;
      const deadline = Date.now() + LIMIT_MS;
      const wanted = [/Reached target .*multi-user\.target/, ...agents.map((a) => new RegExp(`agent ${a} ready`))];
      let multiUser = 0;
      for (;;) {
        const text = console_();
        if (!multiUser && wanted[0]!.test(text)) multiUser = Date.now();
        const missing = wanted.filter((p) => !p.test(text));
        if (!missing.length) break;
        if (/emergency mode|Kernel panic|Internal error:|soft lockup/i.test(text)) throw new Error(`the boot failed (console ${CONSOLE})\n${tail(text)}`);
        if (qemu.exitCode !== null || qemu.signalCode !== null)
          throw new Error(`qemu exited (a board reset ends it: -no-reboot); missing ${missing.join(', ')}\n${q.stderr()}\n${tail(text)}`);
        if (Date.now() > deadline) throw new Error(`not booted within ${LIMIT_MS / 1000} s; missing ${missing.join(', ')}\n${tail(text)}`);
        await new Promise((r) => setTimeout(r, 2000));
      }
      const s = (t: number) => ((t - started) / 1000).toFixed(0);
      process.stdout.write(`raspi4b: multi-user after ${s(multiUser)} s, every agent ready after ${s(Date.now())} s\n`);
      stopContainer(container);
      const text = console_();
      expect(text).toMatch(/Machine model: Raspberry Pi 4 Model B/);
      // what the kernel was given is cmdline.txt (its serial console swapped) plus the emulator-only arguments
      expect(/Kernel command line: (.*)/.exec(text)?.[1]?.trim()).toBe(append);
      // the root: the SD card on emmc2, its second partition, mounted by the initramfs from root=LABEL=
      const emmc2 = /(mmc\d+): SDHCI controller on fe340000\.mmc/.exec(text)?.[1];
      expect(emmc2).toBeDefined();
      expect(text).toMatch(new RegExp(`EXT4-fs \\(mmcblk${emmc2!.slice(3)}p2\\): mounted filesystem`));
      expect(text).not.toMatch(/Gave up waiting for root|Failed to mount .*boot-firmware/);
      // what QEMU's board lacks, as QEMU reports it
      for (const node of ['pcie', 'genet']) expect(q.stderr()).toMatch(new RegExp(`bcm2711-${node}[^ ]* has been disabled`));
    },
    LIMIT_MS + 120_000,
  );
});

// The flagship tree on the userns backend: trees/raspi (arm64 Debian 13 trixie, every step under
// qemu-user) built by an ordinary user with no daemon into a fresh store and fresh apt caches,
// then its raspi.img booted on qemu-system-aarch64 -M virt (the image's own kernel, initramfs and
// cmdline.txt) to multi-user with every agent of the tree ready. A clean build takes ~25 min on
// 2 cores: CI runs it once. RASPI_USERNS_KEEP=1 keeps the store and the image;
// RASPI_USERNS_REUSE=<the kept directory> then reruns the build (all cached) and the boot alone.
import { mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadTree } from '../../lib/config/load-tree.js';
import { run } from '../support/raspi-image.js';
import { buildRaspiAs, cleanTiming, type UserRaspi, userRaspi } from '../support/raspi-userns.js';
import { type RootlessUser, rootlessUser } from '../support/rootless-user.js';
import { rootPartition } from '../support/written-image.js';
import { bootVirt, exited, type VirtBoot, virtKernel } from '../support/virt-boot.js';

const BOOT_LIMIT_MS = Number(process.env.RASPI_BOOT_LIMIT_MS ?? 8 * 60_000);
const reuse = !!process.env.RASPI_USERNS_REUSE;
const keep = reuse || !!process.env.RASPI_USERNS_KEEP;
let user: RootlessUser;
let w: UserRaspi;
let boot: VirtBoot | undefined;
let work = '';

beforeAll(() => {
  for (const tool of ['qemu-system-aarch64', 'mcopy', 'mtype', 'sfdisk', 'newuidmap', 'mmdebstrap']) run('sh', ['-c', `command -v ${tool}`]);
  user = rootlessUser();
  w = userRaspi(user);
  work = mkdtempSync(join(tmpdir(), 'raspi-userns-boot-'));
});

afterAll(async () => {
  await boot?.kill(); // our qemu only, by its pid
  if (work) rmSync(work, { recursive: true, force: true });
  if (!w) return;
  if (keep) process.stdout.write(`raspi userns: kept ${w.work}\n`);
  else rmSync(w.work, { recursive: true, force: true }); // as root: layers belong to subordinate ids
});

test(
  'an ordinary user builds trees/raspi on the userns backend, from mmdebstrap (unshare mode) to raspi.img',
  () => {
    const b = buildRaspiAs(user, w);
    process.stdout.write(`raspi userns build (${reuse ? 'kept store' : 'clean'}): ${b.seconds.toFixed(1)} s; ${b.summary}\n`);
    if (!reuse) writeFileSync(cleanTiming(w), JSON.stringify(b));
    if (reuse) expect(b.summary).toMatch(/ 0 ran/);
    // the image is the user's: written by the user's writer, no root involved
    expect(statSync(w.image).uid).toBe(user.uid);
    expect(statSync(w.image).size).toBeGreaterThan(512 * 1024 * 1024);
    // mmdebstrap (unshare mode) copied the build host's resolver into the root; the image has none
    expect(rootPartition(w.image).cat('/etc/resolv.conf')).toBe('');
  },
  95 * 60_000,
);

test(
  'raspi.img boots in QEMU to multi-user with every agent ready',
  async () => {
    const tree = await loadTree(w.tree, { root: w.project });
    const agents = tree.nodes.get('agents')!.vars.agents.split(/\s+/).filter(Boolean);
    expect(agents.length).toBeGreaterThan(0);
    const started = Date.now();
    boot = await bootVirt({ image: w.image, work, console: join(w.work, 'console.log'), kernel: virtKernel(w.image, work) });
    const deadline = started + BOOT_LIMIT_MS;
    await boot.waitFor([/Reached target multi-user\.target/], deadline, 'multi-user.target');
    await boot.waitFor(
      agents.map((a) => new RegExp(`agent ${a} ready`)),
      deadline,
      'the agents',
    );
    process.stdout.write(`raspi userns boot: all agents ready after ${((Date.now() - started) / 1000).toFixed(1)} s\n`);
    // owners and modes kept through the user's namespace: sshd, dbus and the agents' units start
    const text = boot.text();
    expect(text).toMatch(/Finished.*Generate SSH host keys on first boot|Started.*Generate SSH host keys/);
    expect(text).not.toMatch(/Failed to start |FAILED/);
    await boot.powerDown();
    expect(await exited(boot.qemu, 120_000)).toBe(true);
    expect(boot.text()).toMatch(/reboot: Power down/);
  },
  BOOT_LIMIT_MS + 180_000,
);

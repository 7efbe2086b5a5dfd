// The flagship image, end to end: trees/raspi built through bin/stalker (reusing every cached
// node), out/raspi.img booted in qemu-system-aarch64 -M virt with the image's own kernel, initramfs
// and cmdline.txt (only the console swapped for the virt board's UART), root found by its LABEL as
// on a Pi. The managed system is then driven from the host over ssh (sysdb --remote ssh://), the
// secure path, and the plain ovsdb TCP port is checked to be closed.
// Nothing here is skipped: a missing tool fails the suite.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { loadTree } from '../../lib/config/load-tree.js';
import { buildRaspiImage, RASPI_IMAGE, RASPI_TREE, ROOT, run } from '../support/raspi-image.js';
import { bootVirt, exited, tail, type VirtBoot, type VirtKernel, virtKernel } from '../support/virt-boot.js';

const IMAGE = RASPI_IMAGE;
const CONSOLE = join(ROOT, 'out/raspi-boot-console.log');
const BUILD_LOG = join(ROOT, 'out/raspi-boot-build.log');
const BOOT_LIMIT_MS = Number(process.env.RASPI_BOOT_LIMIT_MS ?? 8 * 60_000);
const MTOOLS_ENV = { ...process.env, MTOOLS_SKIP_CHECK: '1', MTOOLSRC: '/dev/null' };

// The boot test's own key, kept in out/. It never goes into a built image: the test hands its
// public half to this boot only, as the systemd credential ssh.authorized_keys.root on the kernel
// command line it boots with (systemd-tmpfiles' provision.conf writes root's authorized_keys from
// it), so images built from this checkout authorize exactly the keys in stalks/raspi-rootssh/keys/.
const SSH_KEY = join(ROOT, 'out/e2e-ssh/id_ed25519');
const SSH_ARGS = `-i ${SSH_KEY} -o StrictHostKeyChecking=no -o UserKnownHostsFile=/dev/null -o LogLevel=ERROR -o ConnectTimeout=20`;

/** The kernel argument that authorizes the test's key for this boot only. */
function e2eSshCredential(): string {
  mkdirSync(dirname(SSH_KEY), { recursive: true });
  if (!existsSync(SSH_KEY)) run('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-C', 'stalker-e2e-boot-test', '-f', SSH_KEY]);
  const pub = readFileSync(`${SSH_KEY}.pub`);
  return `systemd.set_credential_binary=ssh.authorized_keys.root:${pub.toString('base64')}`;
}

/** bin/sysdb over ssh: the device's Sysdb socket forwarded by OpenSSH (no TCP listener on the device). */
function sysdb(sshPort: number, ...args: string[]) {
  return spawnSync(join(ROOT, 'bin/sysdb'), ['--remote', `ssh://root@127.0.0.1:${sshPort}`, '--timeout', '30', ...args], {
    encoding: 'utf8',
    timeout: 60_000,
    env: { ...process.env, SYSDB_SSH_ARGS: SSH_ARGS },
  });
}

describe('trees/raspi: raspi.img boots in QEMU and the managed system answers', () => {
  let boot: VirtBoot | undefined;
  let port = 0;
  let sshPort = 0;
  let work = '';
  let hostname = '';
  let agents: string[] = [];
  let bootStarted = 0;
  let virt: VirtKernel | undefined;

  beforeAll(async () => {
    for (const tool of ['qemu-system-aarch64', 'mcopy', 'mtype', 'mdir', 'sfdisk', 'debugfs']) run('sh', ['-c', `command -v ${tool}`]);
    const tree = await loadTree(RASPI_TREE, { root: ROOT });
    const agentNode = tree.nodes.get('agents');
    if (!agentNode) throw new Error('trees/raspi has no agents node');
    hostname = agentNode.vars.hostname;
    agents = agentNode.vars.agents.split(/\s+/).filter(Boolean);
    // The build: a clean one takes minutes (kernel under qemu-user); a cached one, seconds.
    const { seconds, summary } = buildRaspiImage(BUILD_LOG);
    process.stdout.write(`raspi build: ${seconds.toFixed(1)} s; ${summary}\n`);
    expect(statSync(IMAGE).size).toBeGreaterThan(512 * 1024 * 1024);
  }, 65 * 60_000);

  afterAll(async () => {
    await boot?.kill(); // our qemu only, by its pid
    if (work) rmSync(work, { recursive: true, force: true });
  });

  test('the boot partition holds the firmware, kernel, initramfs, config.txt and a cmdline.txt naming the root', () => {
    const table = JSON.parse(run('sfdisk', ['--json', IMAGE])) as { partitiontable: { partitions: { start: number; type: string }[] } };
    const [boot, root] = table.partitiontable.partitions;
    expect(root).toBeDefined();
    const fat = `${IMAGE}@@${boot.start * 512}`;
    const config = run('mtype', ['-i', fat, '::config.txt'], MTOOLS_ENV);
    const cmdline = run('mtype', ['-i', fat, '::cmdline.txt'], MTOOLS_ENV);
    expect(config).toMatch(/^arm_64bit=1$/m);
    const kernel = /^kernel=(\S+)$/m.exec(config)?.[1];
    const initrd = /^initramfs (\S+)/m.exec(config)?.[1];
    expect(kernel).toMatch(/^vmlinuz-.*-arm64$/);
    expect(initrd).toMatch(/^initrd\.img-.*-arm64$/);
    expect(cmdline).toMatch(/(^|\s)root=LABEL=RASPIROOT(\s|$)/);
    const files = run('mdir', ['-b', '-i', fat, '::/'], MTOOLS_ENV);
    for (const f of ['start4.elf', 'fixup4.dat', 'bootcode.bin', 'bcm2711-rpi-4-b.dtb', 'bcm2837-rpi-3-b.dtb', kernel!, initrd!]) expect(files).toContain(f);

    work = run('mktemp', ['-d', join(tmpdir(), 'raspi-boot-XXXXXX')]).trim();
    // the image's own kernel arguments, with the virt board's UART instead of the Pi's consoles
    virt = virtKernel(IMAGE, work, [e2eSshCredential()]);
  }, 60_000);

  test('the root partition: hostname from the tree, no machine-id, no ssh host keys, agents installed', () => {
    const table = JSON.parse(run('sfdisk', ['--json', IMAGE])) as { partitiontable: { partitions: { start: number }[] } };
    const ext4 = `${IMAGE}?offset=${table.partitiontable.partitions[1].start * 512}`;
    const cat = (path: string) => run('debugfs', ['-R', `cat ${path}`, ext4]);
    const ls = (path: string) => run('debugfs', ['-R', `ls -l ${path}`, ext4]);
    // the writer's hostname option is "{{ hostname }}": the tree's var
    expect(cat('/etc/hostname').trim()).toBe(hostname);
    expect(cat('/etc/machine-id')).toBe('');
    expect(ls('/etc/ssh')).not.toMatch(/ssh_host_\w+_key/);
    expect(ls('/var/lib/apt/lists')).not.toMatch(/_Packages/);
    expect(ls('/usr/lib/stalker')).toMatch(/stalker-agent\.cjs/);
    expect(ls('/var/lib/sysdb')).toMatch(/sysdb\.db/);
    // Sysdb on its unix socket only: no TCP remote in the image's defaults
    expect(cat('/etc/default/sysdb')).toMatch(/^SYSDB_REMOTES=$/m);
    expect(cat('/etc/fstab')).toMatch(/^LABEL=RASPIROOT\s+\/\s+ext4/m);
  }, 60_000);

  // issue 13: the files beside the image, on the real image (sidecars of the writer)
  test('beside the image: a CycloneDX SBOM naming the kernel, firmware and nodejs, and a bmap bmaptool copies it with', () => {
    const sha = readFileSync(`${IMAGE}.sha256`, 'utf8').split(' ')[0];
    const sbom = JSON.parse(readFileSync(`${IMAGE}.cdx.json`, 'utf8')) as {
      specVersion: string;
      metadata: { component: { hashes: { content: string }[]; version?: string } };
      components: { name: string; version: string; licenses?: unknown[] }[];
    };
    expect(sbom.specVersion).toBe('1.5');
    expect(sbom.metadata.component.hashes[0]!.content).toBe(sha);
    expect(sbom.metadata.component.version).toBe('13');
    const names = sbom.components.map((c) => c.name);
    for (const p of ['raspi-firmware', 'nodejs', 'systemd', 'openvswitch-switch']) expect(names).toContain(p);
    expect(names.some((n) => /^linux-image-.*-arm64$/.test(n))).toBe(true);
    // most Debian packages have machine-readable copyright files: most components state licences
    expect(sbom.components.filter((c) => c.licenses?.length).length).toBeGreaterThan(sbom.components.length / 2);
    const copy = join(tmpdir(), `raspi-bmap-copy-${process.pid}.img`);
    try {
      run('bmaptool', ['copy', '--bmap', `${IMAGE}.bmap`, IMAGE, copy]);
      expect(run('sha256sum', [copy]).split(' ')[0]).toBe(sha);
    } finally {
      rmSync(copy, { force: true });
    }
  }, 180_000);

  test(
    'boots to multi-user with every agent ready',
    async () => {
      expect(work).not.toBe('');
      bootStarted = Date.now();
      boot = await bootVirt({ image: IMAGE, work, console: CONSOLE, kernel: virt!, forward: [6640, 22] });
      port = boot.ports.get(6640)!;
      sshPort = boot.ports.get(22)!;
      const deadline = Date.now() + BOOT_LIMIT_MS;
      await boot.waitFor([/Reached target multi-user\.target/], deadline, 'multi-user.target');
      const multiUser = Date.now();
      await boot.waitFor(
        agents.map((a) => new RegExp(`agent ${a} ready`)),
        deadline,
        'the agents',
      );
      process.stdout.write(
        `raspi boot: multi-user after ${((multiUser - bootStarted) / 1000).toFixed(1)} s, all agents ready after ${((Date.now() - bootStarted) / 1000).toFixed(1)} s\n`,
      );
      const text = boot.text();
      expect(text).toMatch(/Finished.*Generate SSH host keys on first boot|Started.*Generate SSH host keys/);
      expect(text).not.toMatch(/Failed to start .*(sysdb|stalker|OpenBSD Secure Shell)/);
    },
    BOOT_LIMIT_MS + 60_000,
  );

  test('sysdb --remote ssh:// shows the hostname from the tree', async () => {
    // sshd may still be starting (host keys are made on first boot) when the agents report ready
    let r = sysdb(sshPort, 'show', 'system', '--json');
    for (let i = 0; i < 10 && r.status !== 0; i++) {
      await new Promise((res) => setTimeout(res, 3000));
      r = sysdb(sshPort, 'show', 'system', '--json');
    }
    if (r.status !== 0) throw new Error(`bin/sysdb show system exited ${r.status}: ${r.stderr}`);
    expect(r.stdout).toContain(`"${hostname}"`);
    const table = sysdb(sshPort, 'show', 'System');
    expect(table.status).toBe(0);
    expect(table.stdout).toContain(hostname);
  }, 120_000);

  test('a sysdb set from the host is applied inside the guest (net agent sets the hostname)', async () => {
    const next = `${hostname}-e2e`;
    const r = sysdb(sshPort, 'set', 'system', 'hostname', next);
    if (r.status !== 0) throw new Error(`bin/sysdb set system hostname exited ${r.status}: ${r.stderr}`);
    // the net agent's JSON log line for the step it applied, forwarded to the console by its unit
    await boot!.waitFor(
      [new RegExp(`"agent":"net","msg":"applied","step":"[^"]*hostname -- ${next}`)],
      Date.now() + 60_000,
      'the net agent applying the hostname',
    );
    const shown = sysdb(sshPort, 'show', 'system', '--json');
    expect(shown.stdout).toContain(`"${next}"`);
    const audit = sysdb(sshPort, 'audit', 'verify');
    expect(audit.status).toBe(0);
  }, 120_000);

  test('the plain ovsdb TCP port is closed: nothing listens on 6640 in the guest, the forwarded port gets no answer', () => {
    const listening = spawnSync('ssh', [...SSH_ARGS.split(' '), '-p', String(sshPort), 'root@127.0.0.1', 'ss', '-Hltn'], { encoding: 'utf8', timeout: 60_000 });
    expect(listening.status).toBe(0);
    expect(listening.stdout).toMatch(/:22\b/);
    expect(listening.stdout).not.toMatch(/:6640\b/);
    const tcp = spawnSync(join(ROOT, 'bin/sysdb'), ['--remote', `tcp:127.0.0.1:${port}`, '--timeout', '5', 'show', 'system'], {
      encoding: 'utf8',
      timeout: 60_000,
    });
    expect(tcp.status).toBe(1);
    expect(tcp.stderr.trim().split('\n')).toHaveLength(1);
  }, 120_000);

  test('powers off cleanly on the power button', async () => {
    await boot!.powerDown();
    const down = await exited(boot!.qemu, 120_000);
    const text = boot!.text();
    if (!down) throw new Error(`qemu still running 120 s after system_powerdown\n${tail(text)}`);
    expect(text).toMatch(/reboot: Power down/);
    process.stdout.write(`raspi boot: whole boot test ${((Date.now() - bootStarted) / 1000).toFixed(1)} s\n`);
  }, 150_000);
});

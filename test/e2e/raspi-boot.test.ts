// The flagship image, end to end: trees/raspi built through bin/stalker (reusing every cached
// node), out/raspi.img booted in qemu-system-aarch64 -M virt with the image's own kernel, initramfs
// and cmdline.txt (only the console swapped for the virt board's UART), root found by its LABEL as
// on a Pi. The managed system is then driven from the host over ssh (sysdb --remote ssh://), the
// secure path, and the plain ovsdb TCP port is checked to be closed.
// Nothing here is skipped: a missing tool fails the suite.
import { spawn, spawnSync } from 'node:child_process';
import { readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadTree } from '../../lib/config/load-tree.js';
import { bootPartition, buildRaspiImage, RASPI_IMAGE, RASPI_TREE, ROOT, rootDebugfs, run } from '../support/raspi-image.js';
import { checkContainers } from '../support/container-checks.js';
import { e2ePublicKey, e2eSshCredential, eventually, guest, SSH_ARGS, sysdb, sysdbWith } from '../support/guest-ssh.js';
import { buildTree } from '../support/tree-build.js';
import { bootVirt, exited, tail, type VirtBoot, type VirtKernel, virtKernel } from '../support/virt-boot.js';

const IMAGE = RASPI_IMAGE;
const CONSOLE = join(ROOT, 'out/raspi-boot-console.log');
const BUILD_LOG = join(ROOT, 'out/raspi-boot-build.log');
const BOOT_LIMIT_MS = Number(process.env.RASPI_BOOT_LIMIT_MS ?? 8 * 60_000);
const MTOOLS_ENV = { ...process.env, MTOOLS_SKIP_CHECK: '1', MTOOLSRC: '/dev/null' };

const LAB_PASSPHRASE = 'lab-passphrase-e2e';
// passphrase too short: refused by the Wifi.passphrase check, at line 3
const BROKEN_PROVISION = '{\n  "system": { "timezone": "Europe/Berlin" },\n  "wifi": { "lab": { "passphrase": "tiny-pw" } }\n}\n';
const provisionFor = (key: string) => ({
  system: { timezone: 'Europe/Berlin', country: 'DE' },
  user: { ops: { authorized_keys: [key], sudo: true } },
  wifi: { 'lab net': { passphrase: LAB_PASSPHRASE, priority: 5 } },
});

describe('trees/raspi: raspi.img boots in QEMU and the managed system answers', () => {
  let boot: VirtBoot | undefined;
  let port = 0;
  let sshPort = 0;
  let work = '';
  let hostname = '';
  let agents: string[] = [];
  let bootStarted = 0;
  let virt: VirtKernel | undefined;
  let disk = '';

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
    const debugfs = rootDebugfs(IMAGE);
    const cat = (path: string) => debugfs(`cat ${path}`);
    const ls = (path: string) => debugfs(`ls -l ${path}`);
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
      // A sparse copy the guest writes itself (no -snapshot): the power-cut test boots it again.
      disk = join(work, 'disk.img');
      run('cp', ['--sparse=always', IMAGE, disk]);
      // A provisioning file with a bad value, copied by hand (stalker provision would refuse it):
      // the first boot must report it and come up with the image's configuration (checked below).
      const broken = join(work, 'stalker-provision.json');
      writeFileSync(broken, BROKEN_PROVISION);
      run('mcopy', ['-o', '-i', bootPartition(disk).fat, broken, '::/stalker-provision.json'], MTOOLS_ENV);
      boot = await bootVirt({ image: disk, work, console: CONSOLE, kernel: virt!, forward: [6640, 22], snapshot: false });
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

  test('a broken provisioning file is reported with its position, moved off the FAT, and changes nothing', () => {
    const text = boot!.text();
    expect(text).toMatch(/stalker-provision: stalker-provision\.json:3:\d+: wifi\.lab\.passphrase: bad value \(secret\)/);
    expect(text).toMatch(/stalker-provision: stalker-provision\.json not applied \(1 problem\(s\)\)/);
    expect(text).not.toContain('tiny-pw');
    expect(guest(sshPort, 'ls /boot/firmware')).not.toMatch(/stalker-provision/);
    expect(guest(sshPort, 'stat -c "%a %n" /var/lib/stalker/provision/rejected /var/lib/stalker/provision/rejected/*').trim()).toMatch(
      /^700 \/var\/lib\/stalker\/provision\/rejected\n600 \/var\/lib\/stalker\/provision\/rejected\/\S+-stalker-provision\.json$/,
    );
    // nothing of it was applied: no Wifi row, and the hostname test below still sees the tree's
    expect(sysdb(sshPort, 'show', 'wifi', '--json').stdout.trim()).toBe('[]');
  }, 120_000);

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
    // (guest() fails the test when ss exits non-zero)
    const listening = guest(sshPort, 'ss -Hltn');
    expect(listening).toMatch(/:22\b/);
    expect(listening).not.toMatch(/:6640\b/);
    // nothing but sshd listens beyond loopback (systemd-resolved's LLMNR on 5355 did, on every address)
    const udp = guest(sshPort, 'ss -Hlnu');
    expect(udp).not.toMatch(/:5355\b|:5353\b/);
    const open = (listening + udp).split('\n').filter((l) => l.trim() && !/\s(127\.\d+\.\d+\.\d+|\[::1\]|\[::ffff:127[^\]]*\])(%\w+)?:\d+\s/.test(l));
    for (const l of open) expect(l).toMatch(/:(22|68|546)\s/);
    const tcp = spawnSync(join(ROOT, 'bin/sysdb'), ['--remote', `tcp:127.0.0.1:${port}`, '--timeout', '5', 'show', 'system'], {
      encoding: 'utf8',
      timeout: 60_000,
    });
    expect(tcp.status).toBe(1);
    expect(tcp.stderr.trim().split('\n')).toHaveLength(1);
  }, 120_000);

  // Issue 26: the device side as a user meets it, on this one boot (each step is a few seconds;
  // a second boot per item would cost minutes).
  test('the README example adds a static address next to the DHCP lease, and a change that would cut the session is refused', async () => {
    const r = sysdb(sshPort, 'set', 'interface', 'eth0', 'ip', '10.0.0.2/24');
    if (r.status !== 0) throw new Error(`sysdb set interface eth0 ip exited ${r.status}: ${r.stderr}`);
    await boot!.waitFor([/"agent":"net","msg":"applied","step":"ip addr replace 10\.0\.0\.2\/24 dev eth0"/], Date.now() + 60_000, 'the static address');
    await new Promise((res) => setTimeout(res, 6000)); // a pass of the net agent later, the lease is still there
    const addrs = guest(sshPort, 'ip -j addr show dev eth0');
    expect(addrs).toContain('"10.0.0.2"');
    expect(addrs).toContain('"10.0.2.15"');
    expect(sysdb(sshPort, 'show', 'interface').status).toBe(0);
    const cut = sysdb(sshPort, 'set', 'interface', 'eth0', 'dhcp', 'false');
    expect(cut.status).toBe(1);
    expect(cut.stderr.trim()).toMatch(/^sysdb: this would cut the ssh session it came over \(10\.0\.2\.15 on eth0 is a DHCP lease.*--force/);
    expect(sysdb(sshPort, 'query', 'interface', 'eth0').stdout).not.toMatch(/dhcp/);
    expect(sysdb(sshPort, 'set', 'interface', 'eth0', 'ip', 'none').status).toBe(0);
  }, 180_000);

  test('an audit entry written over ssh names the key the session logged in with, not what the client claims', () => {
    const r = sysdbWith(sshPort, { env: { SUDO_USER: 'mallory' } }, 'set', 'system', 'timezone', 'Europe/Berlin');
    expect(r.status).toBe(0);
    const last = sysdb(sshPort, 'audit', '--last', '1').stdout;
    expect(last).toMatch(/SHA256:[A-Za-z0-9+/]{43}/);
    expect(last).toContain('stalker-e2e-boot-test');
    expect(last).not.toContain('mallory');
  }, 120_000);

  test('a write from another OVSDB client is audited by the audit agent', async () => {
    const op = JSON.stringify(['Sysdb', { op: 'update', table: 'System', where: [], row: { log_level: 'debug' } }]);
    guest(sshPort, `ovsdb-client transact unix:/run/sysdb/sysdb.sock '${op}'`);
    await boot!.waitFor([/"agent":"audit","msg":"audited"/], Date.now() + 60_000, 'the audit agent recording the foreign write');
    const last = sysdb(sshPort, 'audit', '--last', '1').stdout;
    expect(last).toMatch(/outside-sysdb@/);
    expect(sysdb(sshPort, 'audit', 'verify').status).toBe(0);
    expect(sysdb(sshPort, 'set', 'system', 'log_level', 'info').status).toBe(0);
  }, 120_000);

  test('a VM starts (a tiny kernel), its tap joins br0, and one with a missing disk says why', async () => {
    // aarch64 "wfi; b ." : the smallest guest that runs until it is stopped
    const wfi = Buffer.from([0x7f, 0x20, 0x03, 0xd5, 0xff, 0xff, 0xff, 0x17]).toString('base64');
    guest(sshPort, `echo ${wfi} | base64 -d > /root/wfi.bin`);
    const state = JSON.stringify({
      vm: {
        t1: { id: 1, vcpus: 1, memory: 64, kernel: '/root/wfi.bin', state: 'run' },
        t2: { id: 2, vcpus: 1, memory: 64, kernel: '/root/wfi.bin', disk: '/root/missing.img', state: 'run' },
      },
    });
    const applied = sysdbWith(sshPort, { input: state, seconds: 120, killMs: 180_000 }, 'apply', '-', '--wait');
    expect(applied.stdout).toMatch(/^vm t1: running$/m);
    expect(applied.stdout).toMatch(/^vm t2: error: disk \/root\/missing\.img/m);
    expect(applied.status).toBe(1);
    // t[1]: the pattern does not match the shell that runs pgrep
    expect(guest(sshPort, "pgrep -f 'process=stalker-vm-t[1]' >/dev/null && echo alive").trim()).toBe('alive');
    expect(guest(sshPort, 'ovs-vsctl list-ports br0').split('\n')).toContain('vi1');
    const stop = sysdbWith(sshPort, { input: JSON.stringify({ vm: {} }), seconds: 60, killMs: 120_000 }, 'apply', '-', '--wait');
    expect(stop.status).toBe(0);
    // deleted rows: the agent stops the VM (SIGTERM, SIGKILL after 5 s); --wait does not wait for deletes
    let left = 'alive';
    for (let i = 0; i < 30 && left !== 'none'; i++) {
      left = guest(sshPort, "pgrep -f 'process=stalker-vm-t[1]' || echo none").trim();
      if (left !== 'none') await new Promise((res) => setTimeout(res, 1000));
    }
    expect(left).toBe('none');
  }, 300_000);

  test('a container built by a tree node runs on the device, on br0, restarted, stopped, refused when hostile', async () => {
    // trees/device-app's node, exported as an OCI layout (a clean build ~15 s, cached ~1 s)
    const app = join(ROOT, 'trees/device-app/device-app.hjson');
    buildTree(app, join(ROOT, 'out/device-app-build.log'));
    const oci = join(work, 'app-oci');
    run(join(ROOT, 'bin/stalker'), ['export', 'app', '--config', app, '--oci', oci]);
    const { agentsRssKiB, agentsPssKiB } = await checkContainers(sshPort, oci);
    const mib = (kib: number): string => (kib / 1024).toFixed(1);
    process.stdout.write(`raspi boot: the agents' memory with one container running: ${mib(agentsPssKiB)} MiB PSS, ${mib(agentsRssKiB)} MiB summed RSS\n`);
  }, 600_000);

  test('20 parallel sysdb calls over ssh all succeed', async () => {
    const calls = Array.from(
      { length: 20 },
      () =>
        new Promise<number | null>((res) => {
          const c = spawn(join(ROOT, 'bin/sysdb'), ['--remote', `ssh://root@127.0.0.1:${sshPort}`, 'show', 'system', '--json'], {
            stdio: 'ignore',
            env: { ...process.env, SYSDB_SSH_ARGS: SSH_ARGS },
          });
          c.on('exit', (code) => res(code));
        }),
    );
    expect(await Promise.all(calls)).toEqual(Array(20).fill(0));
  }, 300_000);

  test('ten kills of ovsdb-server restart no agent and do not reboot the board', async () => {
    const units = agents.map((a) => `stalker-agent@${a}.service`).join(' ');
    const state = () => guest(sshPort, `cat /proc/sys/kernel/random/boot_id; systemctl show -p InvocationID -p NRestarts ${units}`);
    const before = state();
    // Each kill waits for the restarted server's own pid: while systemd restarts it MainPID is 0,
    // and `kill -KILL 0` would kill this ssh session's process group instead.
    const kills = [
      'last=0',
      'for i in 1 2 3 4 5 6 7 8 9 10; do',
      '  n=0; pid=0',
      '  while [ "$pid" -le 0 ] || [ "$pid" -eq "$last" ]; do',
      '    n=$((n + 1)); [ "$n" -le 100 ] || { echo "no new sysdb pid after kill $i" >&2; exit 1; }',
      '    sleep 0.2; pid=$(systemctl show -p MainPID --value sysdb.service)',
      '  done',
      '  kill -KILL "$pid"; last=$pid; sleep 2',
      'done',
    ].join('\n');
    guest(sshPort, kills, 180_000);
    await new Promise((res) => setTimeout(res, 5000));
    expect(state()).toBe(before);
    expect(before).not.toMatch(/NRestarts=[1-9]/);
    expect(guest(sshPort, 'systemctl is-active sysdb.service').trim()).toBe('active');
    expect(sysdb(sshPort, 'show', 'system').status).toBe(0);
  }, 240_000);

  test(
    'an acknowledged write survives a power cut right after it, and audit verify says intact',
    async () => {
      const r = sysdb(sshPort, 'set', 'system', 'hostname', `${hostname}-durable`);
      if (r.status !== 0) throw new Error(`sysdb set exited ${r.status}: ${r.stderr}`);
      await boot!.kill(); // the power cut: no sync, no shutdown
      // Between the boots, the card gets a provisioning file (stalker provision, checked first):
      // the second boot applies it over what the device has (test below).
      const file = join(work, 'stalker-provision.json');
      writeFileSync(file, JSON.stringify(provisionFor(e2ePublicKey()), null, 2));
      const p = spawnSync(join(ROOT, 'bin/stalker'), ['provision', disk, file], { encoding: 'utf8' });
      expect(`${p.stdout}${p.stderr}`).toMatch(/wrote stalker-provision\.json to \S*disk\.img/);
      expect(p.status).toBe(0);
      const again = `${CONSOLE}.2`;
      boot = await bootVirt({ image: disk, work, console: again, kernel: virt!, forward: [6640, 22], snapshot: false });
      sshPort = boot.ports.get(22)!;
      await boot.waitFor(
        agents.map((a) => new RegExp(`agent ${a} ready`)),
        Date.now() + BOOT_LIMIT_MS,
        'the agents after the power cut',
      );
      let shown = sysdb(sshPort, 'show', 'system', '--json');
      for (let i = 0; i < 10 && shown.status !== 0; i++) {
        await new Promise((res) => setTimeout(res, 3000));
        shown = sysdb(sshPort, 'show', 'system', '--json');
      }
      expect(shown.stdout).toContain(`"${hostname}-durable"`);
      const verify = sysdb(sshPort, 'audit', 'verify');
      expect(verify.stderr).toBe('');
      expect(verify.status).toBe(0);
    },
    BOOT_LIMIT_MS + 120_000,
  );

  test('the provisioning file put on the card before this boot was applied over the device, audited, and removed', async () => {
    const text = readFileSync(`${CONSOLE}.2`, 'utf8');
    expect(text).toMatch(/stalker-provision: applied \d+ change\(s\) from stalker-provision\.json \(audit entry \d+\)/);
    // merged: the hostname set before the power cut stays, the file's own values are there
    const exported = JSON.parse(sysdb(sshPort, 'export', 'system', 'user', 'wifi').stdout) as Record<string, Record<string, unknown>>;
    expect(exported.system).toMatchObject({ hostname: `${hostname}-durable`, timezone: 'Europe/Berlin', country: 'DE' });
    expect(exported.user.ops).toEqual({ authorized_keys: e2ePublicKey(), sudo: true });
    expect(exported.wifi['lab net']).toEqual({ passphrase: { secret: 'unchanged' }, priority: 5 });
    // the provisioned account logs in with its key and may sudo; no radio here: the row says so
    const login = await eventually('ops logging in', () => guest(sshPort, 'id -un; sudo -n id -u', 60_000, 'ops'), 90_000, 5000);
    expect(login.trim().split('\n')).toEqual(['ops', '0']);
    await eventually('the Wi-Fi row status', () => /no such device wlan0/.test(sysdb(sshPort, 'show', 'wifi').stdout), 60_000);
    const audit = sysdb(sshPort, 'audit', '--who', 'provision:stalker-provision.json').stdout;
    expect(audit).toMatch(/provision:stalker-provision\.json@/);
    expect(audit).not.toContain(LAB_PASSPHRASE);
    expect(guest(sshPort, 'ls /boot/firmware')).not.toMatch(/stalker-provision/);
    expect(sysdb(sshPort, 'audit', 'verify').status).toBe(0);
  }, 240_000);

  test('powers off cleanly on the power button', async () => {
    await boot!.powerDown();
    const down = await exited(boot!.qemu, 120_000);
    const text = boot!.text();
    if (!down) throw new Error(`qemu still running 120 s after system_powerdown\n${tail(text)}`);
    expect(text).toMatch(/reboot: Power down/);
    process.stdout.write(`raspi boot: whole boot test ${((Date.now() - bootStarted) / 1000).toFixed(1)} s\n`);
  }, 150_000);
});

// One image, a device set up at flash time: trees/raspi-wifi-test (trees/raspi plus hostapd and two
// mac80211_hwsim radios) written, then provisioned as Raspberry Pi Imager's cloud-init customisation
// does it (user-data, network-config with the 64-hex PSK Imager derives, meta-data) with
// `stalker provision`, and booted on QEMU -M virt. The device must come up with the hostname, user,
// key, time zone, password login and Wi-Fi network of those files, through Sysdb's audited apply;
// the image's own wpa_supplicant and net agent then join a real WPA2 network (hostapd on the second
// simulated radio, networkd's DHCP server behind it), report a wrong key and a network that is not
// there, and the passphrase is found in no output channel: only in the supplicant's 0600 file and
// the 0600 database. Nothing here is skipped: a missing tool fails the suite.
import { spawnSync } from 'node:child_process';
import { pbkdf2Sync } from 'node:crypto';
import { closeSync, openSync, readFileSync, readSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { e2eSshCredential, e2ePublicKey, eventually, guest, sysdb, sysdbWith } from '../support/guest-ssh.js';
import { ROOT, run } from '../support/raspi-image.js';
import { buildTree } from '../support/tree-build.js';
import { bootVirt, exited, type VirtBoot, virtKernel } from '../support/virt-boot.js';

const TREE = join(ROOT, 'trees/raspi-wifi-test/raspi-wifi-test.hjson');
const IMAGE = join(ROOT, 'out/raspi-wifi-test.img');
const CONSOLE = join(ROOT, 'out/raspi-wifi-console.log');
const BUILD_LOG = join(ROOT, 'out/raspi-wifi-build.log');
const LIMIT_MS = Number(process.env.RASPI_WIFI_LIMIT_MS ?? 8 * 60_000);

const SSID = 'stalker test net';
// this run's own secrets: a leak found below cannot be an earlier run's
const PASS = `wpa-${process.pid}-${Date.now().toString(36)}`;
const PSK = pbkdf2Sync(PASS, SSID, 4096, 32, 'sha1').toString('hex');
const USER_PASSWORD = `pw-${process.pid}`;
const HOSTNAME = 'wifi-pi';

/** The files Imager's OS customisation writes for an image whose os_list entry says init_format "cloudinit-rpi". */
function imagerFiles(dir: string, hash: string): string[] {
  const files: Record<string, string> = {
    'user-data': [
      '#cloud-config',
      `hostname: ${HOSTNAME}`,
      'manage_etc_hosts: true',
      'timezone: Europe/Berlin',
      'keyboard:',
      '  model: pc105',
      '  layout: "de"',
      'users:',
      '- name: pi',
      '  groups: users,adm,dialout,audio,netdev,video,plugdev,cdrom,games,input,gpio,spi,i2c,render,sudo',
      '  shell: /bin/bash',
      '  lock_passwd: false',
      `  passwd: ${hash}`,
      '  ssh_authorized_keys:',
      `    - ${e2ePublicKey()}`,
      '  sudo: ALL=(ALL) NOPASSWD:ALL',
      'ssh_pwauth: true',
      '',
    ].join('\n'),
    'network-config': [
      'network:',
      '  version: 2',
      '  wifis:',
      '    renderer: networkd',
      '    wlan0:',
      '      dhcp4: true',
      '      regulatory-domain: "DE"',
      '      access-points:',
      `        "${SSID}":`,
      `          password: "${PSK}"`,
      '      optional: true',
      '',
    ].join('\n'),
    'meta-data': 'instance-id: rpi-imager-1765100000000\n',
  };
  return Object.entries(files).map(([name, text]) => {
    const path = join(dir, name);
    writeFileSync(path, text);
    return path;
  });
}

describe('trees/raspi-wifi-test: provisioned like Raspberry Pi Imager, joins a WPA network', () => {
  let boot: VirtBoot | undefined;
  let work = '';
  let port = 0;
  let started = 0;
  const root = (command: string, timeout?: number) => guest(port, command, timeout);
  const wifiStatus = (name: string) => {
    const r = sysdb(port, 'show', 'wifi', '--json');
    if (r.status !== 0) return undefined;
    return (JSON.parse(r.stdout) as { name: string; status: unknown }[]).find((w) => w.name === name)?.status as string | undefined;
  };

  beforeAll(async () => {
    for (const tool of ['qemu-system-aarch64', 'mcopy', 'mtype', 'mdir', 'sfdisk', 'openssl']) run('sh', ['-c', `command -v ${tool}`]);
    // every node up to agents is trees/raspi's (found by key); testtools and cleanup are this tree's
    const { seconds, summary } = buildTree(TREE, BUILD_LOG);
    process.stdout.write(`raspi-wifi-test build: ${seconds.toFixed(1)} s; ${summary}\n`);
    work = run('mktemp', ['-d', join(tmpdir(), 'raspi-wifi-XXXXXX')]).trim();
  }, 65 * 60_000);

  afterAll(async () => {
    await boot?.kill(); // our qemu only, by its pid
    if (work) rmSync(work, { recursive: true, force: true });
  });

  test('stalker provision puts the Imager files on a copy of the image, checked first', () => {
    const disk = join(work, 'disk.img');
    run('cp', ['--sparse=always', IMAGE, disk]);
    const hash = run('openssl', ['passwd', '-5', USER_PASSWORD]).trim();
    const files = imagerFiles(work, hash);
    const r = spawnSync(join(ROOT, 'bin/stalker'), ['provision', disk, ...files], { encoding: 'utf8' });
    expect(r.stderr + r.stdout).toMatch(/wrote user-data, network-config, meta-data to \S*disk\.img/);
    expect(r.status).toBe(0);
    // the keyboard is not honoured, and says so before the card leaves the host
    expect(r.stdout + r.stderr).toMatch(/note: .*keyboard/);
    // the host's own output never shows the secrets it wrote
    expect(r.stdout + r.stderr).not.toContain(PSK);
  }, 120_000);

  test(
    'boots with the provisioned hostname, user and key; the files are gone from the FAT',
    async () => {
      started = Date.now();
      const kernel = virtKernel(IMAGE, work, [e2eSshCredential()]);
      boot = await bootVirt({ image: join(work, 'disk.img'), work, console: CONSOLE, kernel, forward: [22], snapshot: false });
      port = boot.ports.get(22)!;
      await boot.waitFor(
        [/agent net ready/, /agent user ready/, /stalker-provision: applied \d+ change/],
        Date.now() + LIMIT_MS,
        'provisioning and the agents',
      );
      process.stdout.write(`raspi-wifi-test: provisioned and agents ready after ${((Date.now() - started) / 1000).toFixed(1)} s\n`);
      // Imager's user logs in with Imager's key, and may sudo (its NOPASSWD rule)
      const login = await eventually('pi logging in with the provisioned key', () => guest(port, 'id -un; sudo -n id -u', 60_000, 'pi'), 120_000, 5000);
      expect(login.trim().split('\n')).toEqual(['pi', '0']);
      await eventually('the provisioned hostname', () => root('hostname').trim() === HOSTNAME, 60_000);
      expect(root('readlink /etc/localtime').trim()).toBe('/usr/share/zoneinfo/Europe/Berlin');
      expect(root('sshd -T | grep -i "^passwordauthentication"').trim()).toBe('passwordauthentication yes');
      expect(root('ls /boot/firmware')).not.toMatch(/^(user-data|network-config|meta-data)$/m);
      // one audited apply, by the provisioning program, with the passphrase recorded as changed only
      const audit = sysdb(port, 'audit');
      expect(audit.status).toBe(0);
      expect(audit.stdout).toMatch(/provision/);
      expect(boot.text()).toMatch(/stalker-provision: .*keyboard/);
    },
    LIMIT_MS + 180_000,
  );

  test('Sysdb holds the Imager network; the supplicant joins it once the access point is up and gets a DHCP lease', async () => {
    const wifi = JSON.parse(sysdb(port, 'export', 'wifi', 'system').stdout) as {
      wifi: Record<string, Record<string, unknown>>;
      system: Record<string, unknown>;
    };
    expect(wifi.wifi[SSID]).toMatchObject({ passphrase: { secret: 'unchanged' }, security: 'wpa2-psk', interface: 'wlan0' });
    expect(wifi.system.country).toBe('DE');
    // no access point yet: the row says what the supplicant sees
    await eventually('the row to say the network is not found', () => /not found|connecting/.test(wifiStatus(SSID) ?? ''), 90_000);
    // the access point on the second radio, with the cleartext passphrase Imager's PSK came from
    const ap = [
      'interface=wlan1',
      'driver=nl80211',
      `ssid=${SSID}`,
      'hw_mode=g',
      'channel=6',
      'wpa=2',
      'wpa_key_mgmt=WPA-PSK',
      'rsn_pairwise=CCMP',
      `wpa_passphrase=${PASS}`,
      'ctrl_interface=/run/hostapd-test',
    ];
    root(
      `umask 077; printf '%s\\n' ${ap.map((l) => `'${l}'`).join(' ')} > /run/hostapd-test.conf && hostapd -B -P /run/hostapd-test.pid /run/hostapd-test.conf`,
    );
    const status = await eventually('association', () => /^associated/.test(wifiStatus(SSID) ?? '') && wifiStatus(SSID), 120_000);
    expect(status).toMatch(/^associated \([0-9a-f:]{17}, 2437 MHz\)/);
    const lease = await eventually('a DHCP lease on wlan0', () => /inet 192\.168\.77\.\d+\/24/.exec(root('ip -4 addr show dev wlan0'))?.[0], 90_000);
    expect(lease).toMatch(/192\.168\.77\.(1[0-1]\d|120)/);
    // the access point's own view: the device's radio is an authorized station
    const mac = root('cat /sys/class/net/wlan0/address').trim();
    expect(root('hostapd_cli -p /run/hostapd-test all_sta')).toMatch(new RegExp(`^${mac}$[\\s\\S]*flags=.*\\[AUTHORIZED\\]`, 'm'));
  }, 420_000);

  test('a wrong key and a missing network are reported in the row; the right key, given on stdin, joins again', async () => {
    expect(sysdbWith(port, { input: 'definitely-not-the-key\n' }, 'set', 'wifi', SSID, 'passphrase', '-').status).toBe(0);
    await eventually('the wrong key status', () => /wrong key/.test(wifiStatus(SSID) ?? ''), 120_000);
    expect(sysdbWith(port, { input: `${PASS}\n` }, 'set', 'wifi', SSID, 'passphrase', '-').status).toBe(0);
    await eventually('association with the right key', () => /^associated/.test(wifiStatus(SSID) ?? ''), 120_000);
    expect(sysdbWith(port, { input: 'some passphrase\n' }, 'set', 'wifi', 'nowhere-net', 'passphrase', '-').status).toBe(0);
    await eventually('the missing network', () => /not found/.test(wifiStatus('nowhere-net') ?? ''), 120_000);
    expect(wifiStatus(SSID)).toMatch(/^associated/);
  }, 420_000);

  test('the passphrase is in no output channel: only in the 0600 supplicant file and the 0600 database', () => {
    const secrets = [PASS, PSK, Buffer.from(PASS).toString('hex'), USER_PASSWORD];
    const outputs = [
      sysdb(port, 'show', 'wifi'),
      sysdb(port, 'show', 'wifi', '--json'),
      sysdb(port, 'show', 'user'),
      sysdb(port, 'export'),
      sysdb(port, 'audit'),
      sysdb(port, 'show', 'audit', '--json'),
    ].map((r) => r.stdout + r.stderr);
    outputs.push(root('journalctl -b -o cat --no-pager'), root('ps -eo args'), boot!.text(), readFileSync(BUILD_LOG, 'utf8'));
    for (const text of outputs) for (const s of secrets) expect(text).not.toContain(s);
    // every file that holds one, on the whole system but /proc and /sys (the test's hostapd file aside)
    const patterns = secrets.map((s) => `-e '${s}'`).join(' ');
    const holders = root(`grep -rlF ${patterns} /etc /var /run /boot /root /home /tmp /usr/lib/stalker 2>/dev/null | sort || true`, 300_000)
      .trim()
      .split('\n')
      .filter((f) => f && f !== '/run/hostapd-test.conf');
    expect(holders).toEqual(['/run/stalker/wifi/wpa_supplicant-wlan0.conf', '/var/lib/sysdb/sysdb.db']);
    expect(root('stat -c "%a %U %n" /run/stalker/wifi/wpa_supplicant-wlan0.conf /var/lib/sysdb /var/lib/sysdb/sysdb.db').trim().split('\n')).toEqual([
      '600 root /run/stalker/wifi/wpa_supplicant-wlan0.conf',
      '700 root /var/lib/sysdb',
      '600 root /var/lib/sysdb/sysdb.db',
    ]);
  }, 420_000);

  test('machine-id and ssh host keys were made on this device at first boot', () => {
    expect(root('cat /etc/machine-id').trim()).toMatch(/^[0-9a-f]{32}$/);
    expect(root('ls /etc/ssh')).toMatch(/ssh_host_ed25519_key/);
  });

  test('powers off cleanly; the FAT, read raw, holds none of the secrets the provisioning files carried', async () => {
    await boot!.powerDown();
    expect(await exited(boot!.qemu, 120_000)).toBe(true);
    // an unlink on FAT frees the clusters only: the device zeroed the files before deleting them
    const table = JSON.parse(run('sfdisk', ['--json', join(work, 'disk.img')])) as { partitiontable: { partitions: { start: number; size: number }[] } };
    const fat = table.partitiontable.partitions[0]!;
    const fd = openSync(join(work, 'disk.img'), 'r');
    const bytes = Buffer.alloc(fat.size * 512);
    readSync(fd, bytes, 0, bytes.length, fat.start * 512);
    closeSync(fd);
    for (const s of [PSK, PASS, e2ePublicKey().split(' ')[1]!]) expect(bytes.includes(s)).toBe(false);
    process.stdout.write(`raspi-wifi-test: whole boot test ${((Date.now() - started) / 1000).toFixed(1)} s\n`);
  }, 150_000);
});

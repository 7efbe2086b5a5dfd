import { existsSync, mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { AgentRuntime } from '../../lib/device/agents/agent-runtime.js';
import type { CommandRunner } from '../../lib/device/agents/command-runner.js';
import { netAgent } from '../../lib/device/agents/net-agent.js';
import { networkOf, renderSupplicantConfig, ssidHex, wifiProblem, wpaPsk, type WifiNetwork } from '../../lib/device/agents/net-wifi-config.js';
import { parseListNetworks, parseScanResults, parseStatus, printfDecode, wifiStatus, type SupplicantView } from '../../lib/device/agents/net-wifi-status.js';
import { stickyStatus, wifiUnit } from '../../lib/device/agents/net-wifi.js';
import type { Row } from '../../lib/device/ovsdb/datum.js';
import { startAgent } from './helpers/agents.js';
import { OvsdbServer, until } from './helpers/ovsdb-server.js';

// An SSID with a space, quotes and UTF-8 (ü is c3 bc), as wpa_cli prints it (printf_encode).
const HOME = 'Home Net "5G" ü';
const HOME_CLI = 'Home Net \\"5G\\" \\xc3\\xbc';
// a "#" after an odd number of quotes: wpa_supplicant would cut psk="..." there, hence the hex keys
const HOME_KEY = 'correct horse "battery" #1';
const OFFICE_KEY = 'office-secret-4711';
const net = (n: Partial<WifiNetwork>): WifiNetwork => ({ ssid: 'x', security: 'open', hidden: false, iface: 'wlan0', ...n });
const hex = (s: string) => Buffer.from(s, 'utf8').toString('hex');
const row = (r: Record<string, unknown>) => ({ _uuid: 'u', ...r }) as Row;

describe('rendering the supplicant file', () => {
  it('writes SSIDs as hex of their UTF-8 bytes', () => {
    expect(ssidHex(HOME)).toBe('486f6d65204e6574202235472220c3bc');
    expect(ssidHex('\u00fc')).toBe('c3bc');
  });

  it('derives the WPA2 key as wpa_passphrase does (IEEE 802.11i test vector)', () => {
    expect(wpaPsk('password', 'IEEE')).toBe('f42c6fc52df0ebef9ebb4b90b38a5f902e83fe1b135a70e23aed762e9710a12e');
  });

  it('has the control socket, the country and one block per network with its key management', () => {
    const text = renderSupplicantConfig(
      [
        net({ ssid: HOME, security: 'wpa2-wpa3', passphrase: HOME_KEY, priority: 10 }),
        net({ ssid: 'office', security: 'wpa3-sae', passphrase: OFFICE_KEY, hidden: true }),
        net({ ssid: 'old', security: 'wpa2-psk', passphrase: 'password1' }),
        net({ ssid: 'cafe', security: 'open' }),
      ],
      'DE',
      '/run/stalker/wifi/ctrl',
    );
    expect(text).toBe(
      [
        '# Written by the stalker net agent from the Sysdb Wifi table. Do not edit.',
        'ctrl_interface=DIR=/run/stalker/wifi/ctrl',
        'country=DE',
        'update_config=0',
        '',
        'network={',
        `\tssid=${ssidHex(HOME)}`,
        '\tpriority=10',
        '\tkey_mgmt=WPA-PSK SAE',
        '\tieee80211w=1',
        `\tpsk=${wpaPsk(HOME_KEY, HOME)}`,
        `\tsae_password=${hex(HOME_KEY)}`,
        '}',
        '',
        'network={',
        `\tssid=${ssidHex('office')}`,
        '\tscan_ssid=1',
        '\tkey_mgmt=SAE',
        '\tieee80211w=2',
        `\tsae_password=${hex(OFFICE_KEY)}`,
        '}',
        '',
        'network={',
        `\tssid=${ssidHex('old')}`,
        '\tkey_mgmt=WPA-PSK',
        `\tpsk=${wpaPsk('password1', 'old')}`,
        '}',
        '',
        'network={',
        `\tssid=${ssidHex('cafe')}`,
        '\tkey_mgmt=NONE',
        '}',
        '',
      ].join('\n'),
    );
  });

  it('leaves the country out when there is none', () => {
    expect(renderSupplicantConfig([net({ ssid: 'cafe' })], undefined, '/c')).not.toMatch(/country=/);
  });

  it('defaults: wpa2-wpa3 with a passphrase, open without, interface wlan0', () => {
    expect(networkOf(row({ name: 'a', passphrase: 'password1' }))).toMatchObject({ security: 'wpa2-wpa3', iface: 'wlan0', hidden: false });
    expect(networkOf(row({ name: 'a', interface: 'wlan1' }))).toMatchObject({ security: 'open', iface: 'wlan1' });
    expect(networkOf(row({ name: 'a', passphrase: 'AB'.repeat(32) }))).toMatchObject({ security: 'wpa2-psk' });
  });

  it("takes a 64-hex-digit PSK as it is (Imager's key), for WPA2 only", () => {
    const key = `${'0123456789ABCDEF'.repeat(4)}`;
    expect(renderSupplicantConfig([networkOf(row({ name: 'pi', passphrase: key }))], undefined, '/c')).toContain(
      `\tkey_mgmt=WPA-PSK\n\tpsk=${key.toLowerCase()}\n}`,
    );
    expect(wifiProblem(row({ name: 'a', passphrase: key, security: 'wpa2-wpa3' }))).toMatch(/^security wpa2-wpa3 needs the passphrase itself/);
    expect(wifiProblem(row({ name: 'a', passphrase: key, security: 'wpa3-sae' }))).toMatch(/SAE cannot use a 64-hex-digit PSK/);
    expect(wifiProblem(row({ name: 'a', passphrase: key, security: 'wpa2-psk' }))).toBeUndefined();
  });

  it('refuses rows it cannot hand over, never quoting the passphrase', () => {
    expect(wifiProblem(row({ name: 'a', security: 'wpa3-sae' }))).toBe('security wpa3-sae needs a passphrase');
    expect(wifiProblem(row({ name: 'a', security: 'open', passphrase: 'password1' }))).toMatch(/^security open takes no passphrase/);
    const bad = wifiProblem(row({ name: 'a', passphrase: 'short\u00e9' }))!;
    expect(bad).toMatch(/^passphrase \(secret\) rejected: expected a passphrase of 8-63 printable ASCII characters/);
    expect(wifiProblem(row({ name: 'a', interface: '-i' }))).toMatch(/^interface "-i" rejected/);
    expect(wifiProblem(row({ name: 'a', passphrase: 'password1' }))).toBeUndefined();
  });
});

// Outputs as wpa_cli 2.10 prints them (tab-separated lists, printf-escaped SSIDs; list_networks and
// the status lines checked against Debian's wpasupplicant 2:2.10-12 with the agent's own file).
const STATUS_COMPLETED = `bssid=02:00:00:00:01:00
freq=2412
ssid=${HOME_CLI}
id=0
mode=station
wifi_generation=4
pairwise_cipher=CCMP
group_cipher=CCMP
key_mgmt=SAE
pmf=2
sae_group=19
wpa_state=COMPLETED
ip_address=192.168.4.17
p2p_device_address=02:00:00:00:00:00
address=02:00:00:00:00:00
uuid=0c9a6e1b-5f3d-5a4e-9b1f-7f0a6e2d4c11
`;
const STATUS_SCANNING = 'wpa_state=SCANNING\np2p_device_address=02:00:00:00:00:00\naddress=02:00:00:00:00:00\nuuid=0c9a6e1b-5f3d-5a4e-9b1f-7f0a6e2d4c11\n';
const LIST = `network id / ssid / bssid / flags
0\t${HOME_CLI}\tany\t[CURRENT]
1\tguest\tany\t
2\toffice\tany\t[TEMP-DISABLED]
`;
const SCAN = `bssid / frequency / signal level / flags / ssid
02:00:00:00:01:00\t2412\t-30\t[WPA2-PSK+SAE-CCMP][SAE-H2E][ESS]\t${HOME_CLI}
02:00:00:00:02:00\t2437\t-52\t[ESS]\tguest
02:00:00:00:03:00\t5180\t-70\t[WPA2-PSK-CCMP][ESS]\t\\x00\\x00\\x00
`;

describe('status from wpa_cli', () => {
  const view = (status: string, list = LIST, scan = SCAN): SupplicantView => ({
    state: parseStatus(status),
    networks: parseListNetworks(list),
    scanned: parseScanResults(scan),
  });

  it('decodes printf-escaped SSIDs to their bytes', () => {
    expect(printfDecode(HOME_CLI).toString('utf8')).toBe(HOME);
    expect(printfDecode('a\\\\b\\tc')).toEqual(Buffer.from('a\\b\tc'));
    expect(parseListNetworks(LIST).map((n) => [n.id, n.ssid.toString(), n.flags])).toEqual([
      [0, HOME, ['CURRENT']],
      [1, 'guest', []],
      [2, 'office', ['TEMP-DISABLED']],
    ]);
    expect(parseScanResults(SCAN).map((s) => s.toString('hex'))).toEqual([ssidHex(HOME), ssidHex('guest'), '000000']);
  });

  it('associated, standby, wrong key', () => {
    const v = view(STATUS_COMPLETED);
    expect(wifiStatus(net({ ssid: HOME, security: 'wpa2-wpa3' }), v)).toBe('associated (02:00:00:00:01:00, 2412 MHz)');
    expect(wifiStatus(net({ ssid: 'guest' }), v)).toBe('standby (associated to another network)');
    expect(wifiStatus(net({ ssid: 'office', security: 'wpa3-sae' }), v)).toBe('error: wrong key (authentication failed)');
  });

  it("the current network is status' id=, in list_networks' numbering", () => {
    // id=1 is current although list_networks still flags 0: status' id= decides
    const v = view(STATUS_COMPLETED.replace(/^id=0$/m, 'id=1').replace(`ssid=${HOME_CLI}`, 'ssid=guest'));
    expect(wifiStatus(net({ ssid: 'guest' }), v)).toBe('associated (02:00:00:00:01:00, 2412 MHz)');
    expect(wifiStatus(net({ ssid: HOME }), v)).toBe('standby (associated to another network)');
  });

  it('not found, connecting, hidden, starting', () => {
    const list = 'network id / ssid / bssid / flags\n0\tfaraway\tany\t\n';
    expect(wifiStatus(net({ ssid: 'faraway', security: 'wpa2-psk' }), view(STATUS_SCANNING, list))).toBe('error: not found');
    expect(wifiStatus(net({ ssid: 'faraway', hidden: true }), view(STATUS_SCANNING, list))).toBe('connecting (SCANNING)');
    // before the first scan has any results, nothing is "not found" yet
    expect(wifiStatus(net({ ssid: 'faraway' }), view(STATUS_SCANNING, list, 'bssid / frequency / signal level / flags / ssid\n'))).toBe(
      'connecting (SCANNING)',
    );
    const list2 = `network id / ssid / bssid / flags\n0\t${HOME_CLI}\tany\t[CURRENT]\n`;
    expect(wifiStatus(net({ ssid: HOME }), view('wpa_state=ASSOCIATING\n', list2))).toBe('connecting (ASSOCIATING)');
    expect(wifiStatus(net({ ssid: HOME }), view('wpa_state=INTERFACE_DISABLED\n', list2))).toMatch(/^error: interface disabled/);
    expect(wifiStatus(net({ ssid: HOME }), undefined)).toBe('starting');
  });

  it('escapes "-" in the unit instance, as systemd-escape does', () => {
    expect(wifiUnit('wlan0')).toBe('stalker-wpa@wlan0.service');
    expect(wifiUnit('wl-x')).toBe('stalker-wpa@wl\\x2dx.service');
  });
});

// The device side, faked: wlan0 exists (wlan9 does not), systemd runs the unit, and the supplicant
// associates with the first network of its file while reporting the office key as wrong.
class FakeWifiSystem implements CommandRunner {
  calls: string[][] = [];
  active = false;
  async run(argv: string[]) {
    this.calls.push(argv);
    const ok = (stdout = '') => ({ code: 0, stdout, stderr: '' });
    const cmd = argv.join(' ');
    if (cmd === 'hostname') return ok('pi\n');
    if (cmd === 'ip -j addr show') return ok(JSON.stringify([{ ifname: 'wlan0', mtu: 1500, flags: ['BROADCAST', 'UP'], addr_info: [] }]));
    if (argv[0] === 'ip' && argv.includes('route')) return ok('[]');
    if (argv[0] === 'ovs-vsctl' && argv.includes('list-br')) return ok('br0\n');
    if (argv[0] === 'ovs-vsctl' && argv.includes('Port')) return ok('{"data":[]}');
    if (argv[0] === 'ovs-vsctl') return ok('');
    if (argv[0] === 'systemctl' && argv[1] === 'is-active') return { code: this.active ? 0 : 3, stdout: '', stderr: '' };
    if (argv[0] === 'systemctl' && argv[1] === 'start') this.active = true;
    if (argv[0] === 'systemctl' && argv[1] === 'stop') this.active = false;
    if (argv[0] === 'wpa_cli') {
      if (!this.active) return { code: 255, stdout: '', stderr: `Failed to connect to non-global ctrl_ifname: ${argv[4]}  error: No such file or directory\n` };
      if (argv[5] === 'status') return ok(STATUS_COMPLETED);
      if (argv[5] === 'list_networks') return ok(LIST);
      if (argv[5] === 'scan_results') return ok(SCAN);
      if (argv[5] === 'reconfigure') return ok('OK\n');
    }
    return ok();
  }
  wifiCalls() {
    return this.calls.filter((a) => a[0] === 'systemctl' || (a[0] === 'wpa_cli' && a[5] === 'reconfigure')).map((a) => a.join(' '));
  }
}

describe('the net agent runs the Wifi table', () => {
  let server: OvsdbServer;
  let runtime: AgentRuntime | undefined;
  let sys: FakeWifiSystem;
  let root: string;
  let lines: string[];
  const file = () => path.join(root, 'run/stalker/wifi/wpa_supplicant-wlan0.conf');
  const statuses = () =>
    Object.fromEntries(
      (server.transact([{ op: 'select', table: 'Wifi', where: [] }]) as [{ rows: { name: string; status: unknown }[] }])[0].rows.map((r) => [r.name, r.status]),
    );
  const agent = () => netAgent({ runner: sys, root, datapath: 'netdev', intervalMs: 60_000, wifi: { systemd: true } });
  const noSecretAnywhere = () => {
    for (const key of [HOME_KEY, OFFICE_KEY, hex(HOME_KEY), wpaPsk(HOME_KEY, HOME)]) {
      expect(lines.filter((l) => l.includes(key))).toEqual([]);
      expect(JSON.stringify(statuses())).not.toContain(key);
      expect(sys.calls.filter((a) => a.join(' ').includes(key))).toEqual([]);
    }
  };

  beforeAll(async () => {
    server = new OvsdbServer();
    await server.start();
    root = mkdtempSync(path.join(os.tmpdir(), 'stalker-wifi-'));
    sys = new FakeWifiSystem();
    server.transact([
      { op: 'insert', table: 'System', row: { hostname: 'pi', country: 'DE', log_level: 'debug' } },
      { op: 'insert', table: 'Wifi', row: { name: HOME, passphrase: HOME_KEY } },
      { op: 'insert', table: 'Wifi', row: { name: 'guest', security: 'open' } },
      { op: 'insert', table: 'Wifi', row: { name: 'office', security: 'wpa3-sae', passphrase: OFFICE_KEY, priority: 5 } },
      { op: 'insert', table: 'Wifi', row: { name: 'nokey', security: 'wpa2-psk' } },
      { op: 'insert', table: 'Wifi', row: { name: 'usb', passphrase: 'usb-dongle-key', interface: 'wlan9' } },
    ]);
  });
  afterAll(async () => {
    await runtime?.stop();
    await server.dispose();
    rmSync(root, { recursive: true, force: true });
  });

  it('--dry-run shows the secret write by size and the unit start, and does nothing', async () => {
    const r = await startAgent(agent(), server.remote, true);
    await r.runtime.stop();
    lines = r.lines;
    const plan = lines.filter((l) => l.startsWith('plan: '));
    expect(plan).toEqual(
      expect.arrayContaining([
        expect.stringMatching(/^plan: write .*\/run\/stalker\/wifi\/wpa_supplicant-wlan0\.conf \(secret, \d+ bytes\)$/),
        'plan: systemctl start stalker-wpa@wlan0.service',
      ]),
    );
    expect(existsSync(file())).toBe(false);
    expect(sys.active).toBe(false);
    noSecretAnywhere();
  });

  it('writes the file 0600, starts the unit and reports a status per row', async () => {
    ({ runtime, lines } = await startAgent(agent(), server.remote));
    const text = readFileSync(file(), 'utf8');
    expect(statSync(file()).mode & 0o777).toBe(0o600);
    expect(text).toContain('country=DE');
    expect(text).toContain(`ssid=${ssidHex(HOME)}\n\tkey_mgmt=WPA-PSK SAE\n\tieee80211w=1\n\tpsk=${wpaPsk(HOME_KEY, HOME)}\n\tsae_password=${hex(HOME_KEY)}\n`);
    expect(text).toContain(`sae_password=${hex(OFFICE_KEY)}`);
    expect(text).not.toContain('nokey');
    // the file's order is the SSIDs' byte order: the fake's network id 0 is HOME
    expect(text.indexOf(ssidHex(HOME))).toBeLessThan(text.indexOf(ssidHex('guest')));
    expect(readFileSync(path.join(root, 'run/stalker/wifi/wpa_supplicant-wlan9.conf'), 'utf8')).toContain(hex('usb-dongle-key'));
    // (later passes, woken by the agent's own status writes, only ask is-active)
    expect(sys.wifiCalls().filter((c) => !c.includes('is-active'))).toEqual(['systemctl start stalker-wpa@wlan0.service']);
    runtime.kick();
    await runtime.settle();
    expect(statuses()).toEqual({
      [HOME]: 'associated (02:00:00:00:01:00, 2412 MHz)',
      guest: 'standby (associated to another network)',
      office: 'error: wrong key (authentication failed)',
      nokey: 'error: security wpa2-psk needs a passphrase',
      usb: 'error: no such device wlan9',
    });
    expect(lines.filter((l) => l.includes('"msg":"value rejected"') && l.includes('nokey'))).toHaveLength(1);
    expect(lines.some((l) => /"msg":"applied".*wpa_supplicant-wlan0\.conf \(secret, \d+ bytes\)/.test(l))).toBe(true);
    noSecretAnywhere();
  });

  it('an unchanged table writes nothing and runs no reconfigure', async () => {
    const applied = lines.filter((l) => l.includes('"msg":"applied"')).length;
    const calls = sys.wifiCalls().length;
    const mtime = statSync(file()).mtimeMs;
    runtime!.kick();
    await runtime!.settle();
    expect(lines.filter((l) => l.includes('"msg":"applied"')).length).toBe(applied);
    expect(sys.wifiCalls().slice(calls)).toEqual(['systemctl is-active --quiet stalker-wpa@wlan0.service']);
    expect(statSync(file()).mtimeMs).toBe(mtime);
  });

  it('a changed row rewrites the file and reconfigures the running supplicant', async () => {
    const calls = sys.wifiCalls().length;
    server.transact([{ op: 'update', table: 'Wifi', where: [['name', '==', 'guest']], row: { priority: 1, hidden: true } }]);
    await until('file rewritten', () => readFileSync(file(), 'utf8').includes('scan_ssid=1'));
    await runtime!.settle();
    expect(sys.wifiCalls().slice(calls)).toEqual([
      'systemctl is-active --quiet stalker-wpa@wlan0.service',
      `wpa_cli -p ${path.join(root, 'run/stalker/wifi/ctrl')} -i wlan0 reconfigure`,
    ]);
    expect(statSync(file()).mode & 0o777).toBe(0o600);
    noSecretAnywhere();
  });

  it('the last row of an interface gone: the unit stops and the file is removed', async () => {
    server.transact([{ op: 'delete', table: 'Wifi', where: [] }]);
    await until('files removed', () => !existsSync(file()) && !existsSync(path.join(root, 'run/stalker/wifi/wpa_supplicant-wlan9.conf')));
    await runtime!.settle();
    expect(sys.wifiCalls()).toContain('systemctl stop stalker-wpa@wlan0.service');
    expect(sys.active).toBe(false);
    // wlan9 never had a supplicant: only its file goes
    expect(sys.wifiCalls().filter((c) => c.includes('wlan9') && !c.includes('is-active'))).toEqual([]);
    noSecretAnywhere();
  });
});

describe('a refused key', () => {
  it('stays "wrong key" while the supplicant retries between back-offs, until the row changes or the network is joined', () => {
    const memory = new Map<string, string>();
    const home = net({ ssid: 'home', security: 'wpa2-psk', passphrase: 'first-key-1' });
    const WRONG = 'error: wrong key (authentication failed)';
    expect(stickyStatus('connecting (4WAY_HANDSHAKE)', home, 'wlan0', memory)).toBe('connecting (4WAY_HANDSHAKE)');
    expect(stickyStatus(WRONG, home, 'wlan0', memory)).toBe(WRONG);
    // the back-off ended and it tries again: still the same key, still wrong
    expect(stickyStatus('connecting (4WAY_HANDSHAKE)', home, 'wlan0', memory)).toBe(WRONG);
    expect(stickyStatus('error: not found', home, 'wlan0', memory)).toBe('error: not found');
    // a new passphrase is tried afresh
    const fixed = { ...home, passphrase: 'second-key-2' };
    expect(stickyStatus('connecting (4WAY_HANDSHAKE)', fixed, 'wlan0', memory)).toBe('connecting (4WAY_HANDSHAKE)');
    expect(stickyStatus(WRONG, home, 'wlan0', memory)).toBe(WRONG);
    // joined (the access point's key changed back): forgotten
    expect(stickyStatus('associated (02:00:00:00:01:00, 2437 MHz)', home, 'wlan0', memory)).toMatch(/^associated/);
    expect(stickyStatus('connecting (SCANNING)', home, 'wlan0', memory)).toBe('connecting (SCANNING)');
    expect(memory.size).toBe(0);
  });
});

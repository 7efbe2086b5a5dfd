// Provisioning files as Raspberry Pi Imager writes them (customization_generator.cpp), read into one
// Sysdb state document: what is honoured, what is refused and why, and problems at file:line:col.
import { readFileSync } from 'node:fs';
import { formatProblem, readProvision, type ProvisionInput } from '../../lib/device/provision/read-provision.js';
import { mergeState } from '../../lib/device/provision/merge.js';
import { SCHEMA } from './helpers/ovsdb-server.js';

const schema = JSON.parse(readFileSync(SCHEMA, 'utf8'));
const read = (...files: ProvisionInput[]) => readProvision(files, schema);
const problems = (...files: ProvisionInput[]) => read(...files).problems.map(formatProblem);
const KEY = 'ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIExampleExampleExampleExampleExample alice@laptop';
const HASH = '$y$j9T$abcdefghijklmnop$0123456789abcdefghijklmnopqrstuvwxyzABCDE';
const PMK = '0123456789abcdef'.repeat(4);

export const PRESEED = `config_version = "1.0"

[system]
hostname = "mypi"

[user]
name = "alice"
password = "${HASH}"
password_encrypted = true
groups = ["sudo"]

[ssh]
enabled = true
password_authentication = false
authorized_keys = [
  "${KEY}",
]

[wlan]
ssid = "Home Net"
password = "correct horse battery"
password_encrypted = false
hidden = true
country = "gb"

[locale]
keymap = "gb"
timezone = "Europe/London"

[connect]
enabled = true
mode = "token"
token = "rpuak_secret"

[interfaces]
i2c = true
`;

it("rpi-preseed.toml: Imager's keys become System, User and Wifi columns; the rest is refused with reasons", () => {
  const { provision, problems: p } = read({ name: 'rpi-preseed.toml', text: PRESEED });
  expect(p).toEqual([]);
  expect(provision!.sources).toEqual(['rpi-preseed.toml']);
  expect(provision!.state).toEqual({
    system: { hostname: 'mypi', timezone: 'Europe/London', ssh_password_auth: false, country: 'GB' },
    user: { alice: { password_hash: HASH, sudo: true, authorized_keys: KEY } },
    wifi: { 'Home Net': { security: 'wpa2-psk', passphrase: 'correct horse battery', hidden: true } },
  });
  expect(provision!.refused).toEqual([
    'rpi-preseed.toml:27:1: locale.keymap: the image has no console keymap (it is managed over the network)',
    expect.stringMatching(/^rpi-preseed\.toml:31:1: connect\.enabled: Raspberry Pi Connect/),
    expect.stringMatching(/^rpi-preseed\.toml:32:1: connect\.mode: /),
    expect.stringMatching(/^rpi-preseed\.toml:33:1: connect\.token: /),
    expect.stringMatching(/^rpi-preseed\.toml:36:1: interfaces\.i2c: /),
  ]);
  expect(provision!.refused.join('\n')).not.toContain('rpuak_secret');
});

it('the 64-hex PSK Imager derives: WPA2-PSK; refused with its network by a schema that takes no PSK, the rest still applies', () => {
  const text = PRESEED.replace('"correct horse battery"\npassword_encrypted = false', `"${PMK}"\npassword_encrypted = true`);
  expect(read({ name: 'rpi-preseed.toml', text }).provision!.state.wifi).toEqual({ 'Home Net': { security: 'wpa2-psk', passphrase: PMK, hidden: true } });
  const old = structuredClone(schema);
  old.tables.Wifi.columns.passphrase.type.key.maxLength = 63; // Sysdb 1.3.0 before it took a PSK
  const { provision } = readProvision([{ name: 'rpi-preseed.toml', text }], old);
  expect(provision!.state.wifi).toBeUndefined();
  expect(provision!.state.user).toBeDefined();
  expect(provision!.refused).toContainEqual(expect.stringMatching(/^rpi-preseed\.toml:21:1: wlan\.password: the Wi-Fi key is a precomputed WPA PSK/));
  expect(provision!.refused.join('\n')).not.toContain(PMK);
});

const USER_DATA = `#cloud-config
manage_resolv_conf: false

hostname: mypi
manage_etc_hosts: true
packages:
- avahi-daemon

apt:
  preserve_sources_list: true
timezone: Europe/Berlin
keyboard:
  model: pc105
  layout: "de"
user:
  name: alice
  shell: /bin/bash
  lock_passwd: false
  passwd: "${HASH}"
  ssh_authorized_keys:
    - "${KEY}"
  sudo: null

ssh_pwauth: false

runcmd:
  - [ systemctl, enable, --now, ssh ]
`;
const NETWORK = `network:
  version: 2
  ethernets:
    eth0:
      dhcp4: true
      dhcp6: true
      optional: true
  wifis:
    wlan0:
      dhcp4: true
      regulatory-domain: "DE"
      access-points:
        "Home Net":
          hidden: true
          password: "correct horse battery"
      optional: true
`;

it('cloud-init user-data + network-config + meta-data: one state; runcmd, packages and keyboard refused', () => {
  const { provision, problems: p } = read(
    { name: 'user-data', text: USER_DATA },
    { name: 'network-config', text: NETWORK },
    { name: 'meta-data', text: 'instance-id: rpi-imager-1754000000000\n' },
  );
  expect(p).toEqual([]);
  expect(provision!.sources).toEqual(['user-data', 'network-config', 'meta-data']);
  expect(provision!.state).toEqual({
    system: { hostname: 'mypi', timezone: 'Europe/Berlin', ssh_password_auth: false, country: 'DE' },
    user: { alice: { password_hash: HASH, authorized_keys: KEY, sudo: true } },
    wifi: { 'Home Net': { security: 'wpa2-wpa3', interface: 'wlan0', passphrase: 'correct horse battery', hidden: true } },
  });
  expect(provision!.refused).toEqual([
    expect.stringMatching(/^user-data:5:1: manage_etc_hosts: /),
    'user-data:6:1: packages: packages are part of the image, not installed at boot',
    expect.stringMatching(/^user-data:10:3: apt\.preserve_sources_list: packages/),
    'user-data:13:3: keyboard.model: the image has no console keymap (it is managed over the network)',
    'user-data:14:3: keyboard.layout: the image has no console keymap (it is managed over the network)',
    'user-data:26:1: runcmd: arbitrary commands are refused: this is a managed system (its configuration is Sysdb)',
  ]);
});

it('older Imagers: a users: list and a network-config without the network: wrapper', () => {
  const ud = `#cloud-config\nusers:\n- name: bob\n  groups: users,adm,sudo\n  passwd: ${HASH}\n  ssh_authorized_keys:\n    - ${KEY}\n  sudo: ALL=(ALL) NOPASSWD:ALL\n`;
  const nc = `version: 2\nwifis:\n  renderer: networkd\n  wlan0:\n    dhcp4: true\n    access-points:\n      "cafe":\n        password: "${PMK}"\n`;
  const { provision } = read({ name: 'user-data', text: ud }, { name: 'network-config', text: nc });
  expect(provision!.state.user).toEqual({ bob: { password_hash: HASH, authorized_keys: KEY, sudo: true } });
  expect(provision!.refused).toEqual([expect.stringMatching(/^user-data:4:3: users\.0\.groups: only "sudo" is managed \(User\.sudo\); not users, adm$/)]);
  expect(provision!.state.wifi).toEqual({ cafe: { security: 'wpa2-psk', interface: 'wlan0', passphrase: PMK } });
});

it("stalker-provision.json is a sysdb apply document and wins over Imager's files", () => {
  const json = JSON.stringify({ system: { hostname: 'pi7' }, wifi: { office: { security: 'wpa3-sae', passphrase: 'long enough!' } } }, null, 2);
  const { provision } = read({ name: 'stalker-provision.json', text: json }, { name: 'rpi-preseed.toml', text: PRESEED });
  expect(provision!.state).toEqual({ system: { hostname: 'pi7' }, wifi: { office: { security: 'wpa3-sae', passphrase: 'long enough!' } } });
  expect(provision!.sources).toEqual(['stalker-provision.json']);
  expect(provision!.refused).toEqual([expect.stringMatching(/^rpi-preseed\.toml: not read: stalker-provision\.json takes precedence/)]);
});

it('problems carry file:line:col: JSON, TOML and YAML syntax errors, and bad values at their key', () => {
  expect(problems({ name: 'stalker-provision.json', text: '{\n  "system": {"hostname": "a",}\n}' })).toEqual([
    expect.stringMatching(/^stalker-provision\.json:2:30: not valid JSON: /),
  ]);
  expect(
    problems({ name: 'stalker-provision.json', text: '{"system": {\n  "hostname": "-bad"\n}, "wifi": {"x": {"passphrase": "short"}}, "nope": {}}' }),
  ).toEqual([
    expect.stringMatching(/^stalker-provision\.json:3:44: unknown table "nope"/),
    expect.stringMatching(/^stalker-provision\.json:2:3: system\.hostname: bad value "-bad" for system\.hostname: expected an RFC 1123 host name/),
    'stalker-provision.json:3:19: wifi.x.passphrase: bad value (secret) for wifi.passphrase: expected at least 8 characters',
  ]);
  expect(problems({ name: 'rpi-preseed.toml', text: 'config_version = "1.0"\n\n[wlan]\nssid = "x"\n  country = "GBR"\n' })).toEqual([
    'rpi-preseed.toml:5:3: wlan.country: bad value "GBR" for system.country: expected at most 2 characters',
  ]);
  expect(problems({ name: 'rpi-preseed.toml', text: 'config_version = "1.0"\n[wlan\n' })).toEqual([
    expect.stringMatching(/^rpi-preseed\.toml:2:\d+: not valid TOML: /),
  ]);
  expect(problems({ name: 'user-data', text: '#cloud-config\nhostname: [a\n' })).toEqual([expect.stringMatching(/^user-data:3:1: not valid YAML: /)]);
  expect(problems({ name: 'user-data', text: '#!/bin/sh\nrm -rf /\n' })).toEqual([
    'user-data:1:1: not a #cloud-config document (scripts and other user-data types are refused)',
  ]);
  expect(problems({ name: 'user-data', text: '#cloud-config\nuser:\n  name: Alice Smith\n' })).toEqual([
    expect.stringMatching(/^user-data:3:3: user\.name: bad value "Alice Smith" for user\.name: expected a user name/),
  ]);
});

it('a secret never appears in a problem, even in a JSON syntax error', () => {
  const text = '{"wifi": {"x": {"passphrase": "hunter2hunter2" ]}}';
  expect(problems({ name: 'stalker-provision.json', text }).join('\n')).not.toContain('hunter2');
});

it('merge: provisioning overlays rows and System columns and removes nothing it does not name', () => {
  const current = {
    system: { hostname: 'raspi', timezone: 'Etc/UTC', log_level: 'info' },
    wifi: { old: { security: 'open' }, home: { security: 'open', priority: 5 } },
  };
  const merged = mergeState(
    current,
    { system: { hostname: 'pi7' }, wifi: { home: { security: 'wpa2-psk', passphrase: 'long enough!' } } },
    new Set(['system']),
  );
  expect(merged).toEqual({
    system: { hostname: 'pi7', timezone: 'Etc/UTC', log_level: 'info' },
    wifi: { old: { security: 'open' }, home: { security: 'wpa2-psk', passphrase: 'long enough!', priority: 5 } },
  });
});

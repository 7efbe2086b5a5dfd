// Raspberry Pi Imager's cloud-init NoCloud files (init_format "cloudinit" / "cloudinit-rpi"):
// user-data (#cloud-config: hostname, timezone, keyboard, user: {name, passwd (crypt hash),
// lock_passwd, ssh_authorized_keys, sudo, shell}, ssh_pwauth, runcmd, rpi, packages, apt...),
// network-config (netplan v2: wifis.wlan0.regulatory-domain and access-points.SSID.password, the
// 64-hex PSK Imager derives) and meta-data (instance-id). Older Imagers wrote a users: list and a
// network-config without the network: wrapper; both are read.
import { KEYMAP_REFUSED, Leaves, PACKAGES_REFUSED, reasonFor, RUNCMD_REFUSED } from './leaves.js';
import type { Assignment, FormatResult, Position } from './source.js';
import { countryCode, isHexPsk } from './wifi.js';
import { readYaml } from './yaml-doc.js';

export const CLOUD_INIT_FILES = ['user-data', 'network-config', 'meta-data'];

const USER_DATA_REFUSED: [string, string][] = [
  ['keyboard', KEYMAP_REFUSED],
  ['runcmd', RUNCMD_REFUSED],
  ['bootcmd', RUNCMD_REFUSED],
  ['write_files', 'files are not written from the boot partition: this is a managed system'],
  ['packages', PACKAGES_REFUSED],
  ['package_update', PACKAGES_REFUSED],
  ['package_upgrade', PACKAGES_REFUSED],
  ['apt', PACKAGES_REFUSED],
  ['rpi', 'I2C/SPI/serial/USB gadget (config.txt) are part of the image, not of its configuration'],
  ['manage_etc_hosts', "/etc/hosts is the image's (the net agent sets the host name)"],
  ['ssh_authorized_keys', 'no user named to give the keys to: put them under user.ssh_authorized_keys'],
  ['chpasswd', 'cleartext and expiring passwords are not provisioned: give user.passwd a crypt(3) hash'],
];

type Say = (key: string, message: string) => void;

export function readCloudInit(files: Record<string, string>): FormatResult {
  const r: FormatResult = { assignments: [], refused: [], problems: [] };
  if (files['user-data'] !== undefined) readUserData(files['user-data'], r);
  if (files['network-config'] !== undefined) readNetworkConfig(files['network-config'], r);
  if (files['meta-data'] !== undefined) {
    // instance-id is cloud-init's own bookkeeping; only a broken file is worth a word.
    const m = readYaml('meta-data', files['meta-data']);
    if (m.problem) r.problems.push(m.problem);
  }
  return r;
}

function context(file: string, r: FormatResult, at: (...p: (string | number)[]) => Position) {
  const pos = (key: string) => at(...key.split('.').map((p) => (/^\d+$/.test(p) ? Number(p) : p)));
  return {
    set: (key: string, table: string, column: string, value: unknown, row?: string, where?: Position) =>
      r.assignments.push({ file, table, row, column, value, key, at: where ?? pos(key) } satisfies Assignment),
    problem: ((key, message) => r.problems.push({ file, ...pos(key), message: `${key}: ${message}` })) as Say,
    refuse: ((key, reason) => r.refused.push({ file, key, reason, at: pos(key) })) as Say,
  };
}

function readUserData(text: string, r: FormatResult): void {
  const file = 'user-data';
  if (!/^#cloud-config[ \t]*\r?\n/.test(text) && text.trim() !== '#cloud-config') {
    r.problems.push({ file, line: 1, column: 1, message: 'not a #cloud-config document (scripts and other user-data types are refused)' });
    return;
  }
  const y = readYaml(file, text);
  if (y.problem) return void r.problems.push(y.problem);
  if (y.value === null || y.value === undefined) return;
  if (typeof y.value !== 'object' || Array.isArray(y.value))
    return void r.problems.push({ file, line: 2, column: 1, message: 'expected a mapping of cloud-config keys' });
  const { set, problem, refuse } = context(file, r, y.at);
  const doc = y.value as Record<string, unknown>;
  const leaves = new Leaves({ ...doc, user: undefined, users: undefined });
  leaves.take('user');
  leaves.take('users');
  const hostname = leaves.take('hostname');
  if (hostname !== undefined) set('hostname', 'System', 'hostname', hostname);
  const timezone = leaves.take('timezone');
  if (timezone !== undefined) set('timezone', 'System', 'timezone', timezone);
  const pwauth = leaves.take('ssh_pwauth');
  if (pwauth !== undefined) set('ssh_pwauth', 'System', 'ssh_password_auth', pwauth);
  // false is what this image does anyway (systemd-resolved, System.dns)
  if (leaves.take('manage_resolv_conf') === true) refuse('manage_resolv_conf', 'DNS is System.dns');

  if (doc.user !== undefined) readUser(doc.user, 'user', y.at, set, problem, refuse);
  if (doc.users !== undefined) {
    if (!Array.isArray(doc.users)) problem('users', 'expected a list of users');
    else
      doc.users.forEach((u, i) => {
        if (u === 'default') return; // the distribution's default user: the image has it already
        readUser(u, `users.${i}`, y.at, set, problem, refuse);
      });
  }
  for (const key of leaves.rest()) refuse(key, reasonFor(key, USER_DATA_REFUSED));
}

type SetFn = ReturnType<typeof context>['set'];

function readUser(u: unknown, key: string, at: (...p: (string | number)[]) => Position, set: SetFn, problem: Say, refuse: Say): void {
  if (typeof u === 'string') u = { name: u };
  if (!u || typeof u !== 'object' || Array.isArray(u)) return problem(key, "expected a mapping with the user's name");
  const leaves = new Leaves(u, key);
  const name = leaves.take(`${key}.name`);
  if (typeof name !== 'string') return problem(key, 'expected a user name (name:)');
  const where = (k: string) => at(...k.split('.').map((p) => (/^\d+$/.test(p) ? Number(p) : p)));
  const put = (k: string, column: string, value: unknown) => set(k, 'User', column, value, name, where(k));
  put(`${key}.name`, '', undefined);
  for (const p of ['passwd', 'hashed_passwd']) {
    const hash = leaves.take(`${key}.${p}`);
    if (hash !== undefined) put(`${key}.${p}`, 'password_hash', hash);
  }
  leaves.take(`${key}.lock_passwd`); // without a passwd there is no password to log in with either way
  const keys = leaves.take(`${key}.ssh_authorized_keys`);
  if (keys !== undefined) put(`${key}.ssh_authorized_keys`, 'authorized_keys', keys);
  const sudo = leaves.take(`${key}.sudo`);
  if (sudo === false) put(`${key}.sudo`, 'sudo', false);
  else if (sudo !== undefined) {
    // Imager writes `sudo: null` to keep the default user's sudo group, or a NOPASSWD rule: either
    // way User.sudo (the group and a NOPASSWD rule of the user agent's, as Pi OS's first user has).
    put(`${key}.sudo`, 'sudo', true);
  }
  const groups = leaves.take(`${key}.groups`);
  if (groups !== undefined) {
    const list = typeof groups === 'string' ? groups.split(',').map((g) => g.trim()) : Array.isArray(groups) ? groups.map(String) : undefined;
    if (!list) problem(`${key}.groups`, 'expected a list of groups');
    else {
      if (list.includes('sudo') && sudo === undefined) put(`${key}.groups`, 'sudo', true);
      const other = list.filter((g) => g !== 'sudo' && g);
      if (other.length) refuse(`${key}.groups`, `only "sudo" is managed (User.sudo); not ${other.join(', ')}`);
    }
  }
  const shell = leaves.take(`${key}.shell`);
  if (shell !== undefined && shell !== '/bin/bash') refuse(`${key}.shell`, "accounts get the image's login shell (/bin/bash)");
  if (leaves.take(`${key}.plain_text_passwd`) !== undefined)
    refuse(`${key}.plain_text_passwd`, 'a cleartext password is not stored: give passwd a crypt(3) hash (mkpasswd)');
  for (const k of leaves.rest()) refuse(k, 'not a User column (name, passwd, ssh_authorized_keys, sudo, groups: sudo)');
}

function readNetworkConfig(text: string, r: FormatResult): void {
  const file = 'network-config';
  const y = readYaml(file, text);
  if (y.problem) return void r.problems.push(y.problem);
  const doc = y.value as Record<string, unknown> | null;
  if (!doc) return;
  const { set, problem, refuse } = context(file, r, y.at);
  const prefix = doc.network !== undefined ? 'network' : '';
  const root = (prefix ? doc.network : doc) as Record<string, unknown>;
  const k = (...parts: string[]) => [prefix, ...parts].filter(Boolean).join('.');
  const keyAt = (...parts: string[]) => y.at(...[prefix, ...parts].filter(Boolean));
  if (!root || typeof root !== 'object' || root.version !== 2) return problem(k('version'), 'expected a netplan version 2 network config');
  for (const [name, v] of Object.entries(root)) {
    if (name === 'version' || name === 'renderer') continue;
    if (name === 'ethernets') {
      // Imager adds eth0 with DHCP so wired stays as it was: the image's default already.
      for (const [link, cfg] of Object.entries((v ?? {}) as Record<string, unknown>))
        if (!isDhcpOnly(cfg)) refuse(k('ethernets', link), 'wired links are the Interface table: provision them in stalker-provision.json');
      continue;
    }
    if (name !== 'wifis') {
      refuse(k(name), 'only wifis are read from network-config');
      continue;
    }
    for (const [link, raw] of Object.entries((v ?? {}) as Record<string, unknown>)) {
      if (link === 'renderer') continue; // older Imagers put netplan's renderer here
      const cfg = (raw ?? {}) as Record<string, unknown>;
      for (const [opt, val] of Object.entries(cfg)) {
        if (opt === 'regulatory-domain') set(k('wifis', link, opt), 'System', 'country', countryCode(val), undefined, keyAt('wifis', link, opt));
        else if ((opt === 'dhcp4' || opt === 'dhcp6' || opt === 'optional') && val === true) continue;
        else if (opt !== 'access-points') refuse(k('wifis', link, opt), "addresses and DHCP of a Wi-Fi link are the image's");
      }
      for (const [ssid, apRaw] of Object.entries((cfg['access-points'] ?? {}) as Record<string, unknown>)) {
        const ap = (apRaw ?? {}) as Record<string, unknown>;
        const where = keyAt('wifis', link, 'access-points', ssid);
        const apKey = k('wifis', link, 'access-points', ssid);
        const auth = (ap.auth ?? {}) as Record<string, unknown>;
        const password = ap.password ?? auth.password;
        const mgmt = auth['key-management'];
        const security =
          mgmt === 'none'
            ? 'open'
            : mgmt === 'psk'
              ? 'wpa2-psk'
              : mgmt === 'sae'
                ? 'wpa3-sae'
                : mgmt !== undefined
                  ? undefined
                  : password === undefined
                    ? 'open'
                    : isHexPsk(password)
                      ? 'wpa2-psk'
                      : 'wpa2-wpa3';
        if (!security) {
          refuse(`${apKey}.auth.key-management`, 'only none, psk and sae are offered: the network is not configured');
          continue;
        }
        if (security === 'wpa3-sae' && isHexPsk(password)) {
          problem(`${apKey}.auth.key-management`, 'sae (WPA3) needs the passphrase itself, not a precomputed PSK');
          continue;
        }
        set(apKey, 'Wifi', '', undefined, ssid, where);
        set(apKey, 'Wifi', 'security', security, ssid, where);
        set(apKey, 'Wifi', 'interface', link, ssid, where);
        if (password !== undefined)
          set(
            `${apKey}.password`,
            'Wifi',
            'passphrase',
            password,
            ssid,
            y.at(...[prefix, 'wifis', link, 'access-points', ssid, ap.password !== undefined ? 'password' : 'auth'].filter(Boolean)),
          );
        if (ap.hidden !== undefined)
          set(`${apKey}.hidden`, 'Wifi', 'hidden', ap.hidden, ssid, y.at(...[prefix, 'wifis', link, 'access-points', ssid, 'hidden'].filter(Boolean)));
        for (const opt of Object.keys(ap)) if (!['password', 'hidden', 'auth'].includes(opt)) refuse(`${apKey}.${opt}`, 'not a Wifi column');
      }
    }
  }
}

function isDhcpOnly(cfg: unknown): boolean {
  return !!cfg && typeof cfg === 'object' && Object.entries(cfg).every(([o, v]) => ['dhcp4', 'dhcp6', 'optional'].includes(o) && v === true);
}

// Raspberry Pi Imager's rpi-preseed.toml (init_format "rpi-preseed"), the keys rpi-preseed's schema
// lists: Imager writes [system] hostname, [user] name/password (a crypt(3) hash,
// password_encrypted = true)/groups/passwordless_sudo, [ssh] enabled/password_authentication/
// authorized_keys, [wlan] ssid or ssid_hex/password (+ password_encrypted: true for the 64-hex PSK
// it derives)/hidden/country, [locale] keymap/timezone, [connect], [interfaces].
import { parse, TomlError } from 'smol-toml';
import { KEYMAP_REFUSED, Leaves, PACKAGES_REFUSED, reasonFor, RUNCMD_REFUSED } from './leaves.js';
import type { FormatResult, Position } from './source.js';
import { tomlKeyPositions } from './toml-positions.js';
import { countryCode, isHexPsk, ssidFromHex } from './wifi.js';

export const PRESEED_FILE = 'rpi-preseed.toml';

const REFUSED: [string, string][] = [
  ['locale.keymap', KEYMAP_REFUSED],
  ['locale', 'the image generates no locales (C.UTF-8 only)'],
  ['connect', 'Raspberry Pi Connect is not part of this image'],
  ['interfaces', 'I2C/SPI/1-Wire/serial/USB gadget (config.txt) are part of the image, not of its configuration'],
  ['boot', 'config.txt and cmdline.txt are part of the image, not of its configuration'],
  ['runcmd', RUNCMD_REFUSED],
  ['packages', PACKAGES_REFUSED],
  ['mounts', 'mounts are not provisioned (network storage is the Storage table)'],
  ['ca_certificates', 'CA certificates are part of the image'],
  ['time', "the time servers are the image's"],
  ['ethernet', 'wired links are the Interface table: provision them in stalker-provision.json'],
  ['ssh.ssh_import_id', 'keys are not fetched from the network at boot: list them in ssh.authorized_keys'],
  ['debug', "rpi-preseed's own debug switch"],
];

const KEY_MGMT: Record<string, string | undefined> = { none: 'open', 'wpa-psk': 'wpa2-psk', sae: 'wpa3-sae', owe: undefined };

export function readPreseedToml(text: string): FormatResult {
  const file = PRESEED_FILE;
  const r: FormatResult = { assignments: [], refused: [], problems: [] };
  let doc: Record<string, unknown>;
  try {
    doc = parse(text);
  } catch (e) {
    if (!(e instanceof TomlError)) throw e;
    r.problems.push({ file, line: e.line, column: e.column, message: `not valid TOML: ${e.message.split('\n')[0].replace(/^Invalid TOML document: /, '')}` });
    return r;
  }
  const pos = tomlKeyPositions(text);
  const at = (key: string): Position => pos.get(key) ?? pos.get(key.split('.')[0]) ?? {};
  const leaves = new Leaves(doc);
  const set = (key: string, table: string, column: string, value: unknown, row?: string) =>
    r.assignments.push({ file, table, row, column, value, key, at: at(key) });
  const problem = (key: string, message: string) => r.problems.push({ file, ...at(key), message: `${key}: ${message}` });
  const refuse = (key: string, reason: string) => r.refused.push({ file, key, reason, at: at(key) });

  const version = leaves.take('config_version');
  if (version === undefined)
    r.problems.push({ file, line: 1, column: 1, message: 'config_version: missing (rpi-preseed.toml starts with config_version = "1.0")' });
  else if (typeof version !== 'string' || !/^1\.\d+$/.test(version)) problem('config_version', `expected "1.x", not ${JSON.stringify(version)}`);

  const hostname = leaves.take('system.hostname');
  if (hostname !== undefined) set('system.hostname', 'System', 'hostname', hostname);
  const timezone = leaves.take('locale.timezone');
  if (timezone !== undefined) set('locale.timezone', 'System', 'timezone', timezone);
  const pwauth = leaves.take('ssh.password_authentication');
  if (pwauth !== undefined) set('ssh.password_authentication', 'System', 'ssh_password_auth', pwauth);
  const sshOn = leaves.take('ssh.enabled');
  if (sshOn === false) refuse('ssh.enabled', 'ssh stays enabled: it is how this image is managed');

  readUser(leaves, set, problem, refuse);
  readWlan(leaves, set, problem, refuse);

  for (const key of leaves.rest()) refuse(key, reasonFor(key, REFUSED));
  return r;
}

type Set = (key: string, table: string, column: string, value: unknown, row?: string) => void;
type Say = (key: string, message: string) => void;

function readUser(leaves: Leaves, set: Set, problem: Say, refuse: Say): void {
  const name = leaves.take('user.name');
  const keys = leaves.take('ssh.authorized_keys');
  if (name === undefined) {
    for (const k of leaves.under('user')) refuse(k, 'no user.name: rpi-preseed touches an account only when it is named');
    if (keys !== undefined) refuse('ssh.authorized_keys', 'no user.name to give the keys to');
    return;
  }
  if (typeof name !== 'string') return problem('user.name', 'expected a string');
  set('user.name', 'User', '', undefined, name);
  const password = leaves.take('user.password');
  const encrypted = leaves.take('user.password_encrypted');
  if (encrypted !== undefined && typeof encrypted !== 'boolean') problem('user.password_encrypted', 'expected true or false');
  if (password !== undefined) {
    // rpi-preseed's default is a cleartext password it hashes on the device; Imager always sends the hash.
    if (encrypted === true) set('user.password', 'User', 'password_hash', password, name);
    else refuse('user.password', 'a cleartext password is not stored: give its crypt(3) hash (mkpasswd) with password_encrypted = true');
  }
  const groups = leaves.take('user.groups');
  if (groups !== undefined) {
    if (!Array.isArray(groups) || !groups.every((g) => typeof g === 'string')) problem('user.groups', 'expected an array of group names');
    else {
      if (groups.includes('sudo')) set('user.groups', 'User', 'sudo', true, name);
      const other = groups.filter((g) => g !== 'sudo');
      if (other.length) refuse('user.groups', `only "sudo" is managed (User.sudo); not ${other.map((g) => JSON.stringify(g)).join(', ')}`);
    }
  }
  // User.sudo is the sudo group and a NOPASSWD rule (the user agent), as Pi OS's first user has.
  const nopasswd = leaves.take('user.passwordless_sudo');
  if (nopasswd === true) set('user.passwordless_sudo', 'User', 'sudo', true, name);
  else if (nopasswd !== undefined && typeof nopasswd !== 'boolean') problem('user.passwordless_sudo', 'expected true or false');
  if (keys !== undefined) set('ssh.authorized_keys', 'User', 'authorized_keys', keys, name);
}

function readWlan(leaves: Leaves, set: Set, problem: Say, refuse: Say): void {
  const country = leaves.take('wlan.country');
  if (country !== undefined) set('wlan.country', 'System', 'country', countryCode(country));
  let ssid = leaves.take('wlan.ssid');
  const hex = leaves.take('wlan.ssid_hex');
  const password = leaves.take('wlan.password');
  const encrypted = leaves.take('wlan.password_encrypted');
  const hidden = leaves.take('wlan.hidden');
  const keyMgmt = leaves.take('wlan.key_mgmt');
  if (ssid === undefined && hex !== undefined) {
    ssid = typeof hex === 'string' ? ssidFromHex(hex) : undefined;
    if (ssid === undefined) return refuse('wlan.ssid_hex', 'the SSID is not UTF-8 text, which a Sysdb row name must be: the network is not configured');
  }
  if (ssid === undefined) {
    for (const k of ['wlan.password', 'wlan.hidden', 'wlan.key_mgmt']) if (leaves.take(k) !== undefined) refuse(k, 'no wlan.ssid');
    return;
  }
  if (typeof ssid !== 'string') return problem('wlan.ssid', 'expected a string');
  const key = hex !== undefined ? 'wlan.ssid_hex' : 'wlan.ssid';
  if (encrypted !== undefined && typeof encrypted !== 'boolean') return problem('wlan.password_encrypted', 'expected true or false');
  if (keyMgmt !== undefined && (typeof keyMgmt !== 'string' || !(keyMgmt in KEY_MGMT)))
    return problem('wlan.key_mgmt', 'expected one of none, owe, wpa-psk, sae');
  if (keyMgmt === 'owe')
    return refuse('wlan.key_mgmt', 'OWE (enhanced open) is not offered (Wifi.security: open, wpa2-psk, wpa3-sae, wpa2-wpa3): the network is not configured');
  // password_encrypted = true: the 64-hex PSK Imager derives (PBKDF2 of passphrase and SSID); only WPA2-PSK takes one.
  const psk = encrypted === true || isHexPsk(password);
  if (psk && keyMgmt === 'sae') return problem('wlan.key_mgmt', 'sae (WPA3) needs the passphrase itself, not a precomputed PSK');
  const security = keyMgmt !== undefined ? KEY_MGMT[keyMgmt as string] : password !== undefined ? 'wpa2-psk' : 'open';
  if (security === 'open' && password !== undefined) return problem('wlan.password', 'a password on an open network (key_mgmt = "none")');
  set(key, 'Wifi', '', undefined, ssid);
  set(keyMgmt !== undefined ? 'wlan.key_mgmt' : key, 'Wifi', 'security', security, ssid);
  if (password !== undefined) set('wlan.password', 'Wifi', 'passphrase', password, ssid);
  if (hidden !== undefined) set('wlan.hidden', 'Wifi', 'hidden', hidden, ssid);
}

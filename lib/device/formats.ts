import { readFileSync, statSync } from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { isSecret, REDACTED } from './secrets.js';

// The formats of values that reach a command line or a path. The CLI checks them before anything is
// written and every agent checks them again before acting, because the database can be written by
// other clients (ovsdb-client, an older CLI). Each check returns what was expected, or undefined.
// Every accepted value starts with a letter, digit, "_" or "/", so none can be read as an option.
export type FormatCheck = (v: string) => string | undefined;

export const ZONEINFO = '/usr/share/zoneinfo';
// eslint-disable-next-line no-control-regex -- control characters are exactly what it refuses
const CONTROL = /[\u0000-\u001f\u007f]/;

export const hostname: FormatCheck = (v) =>
  v.length <= 253 && v.split('.').every((l) => /^[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?$/.test(l))
    ? undefined
    : 'an RFC 1123 host name (letters, digits and "-" in dot-separated labels of at most 63, no leading or trailing "-")';

/** A tz database name whose file exists and is a TZif file; without a zoneinfo dir only the spelling is checked. */
export function timezone(v: string, zoneinfo: string | undefined = ZONEINFO): string | undefined {
  if (!/^[A-Za-z0-9_][A-Za-z0-9_+-]*(\/[A-Za-z0-9_][A-Za-z0-9_+-]*)*$/.test(v)) return 'a time zone name such as Europe/Berlin';
  if (zoneinfo === undefined) return undefined;
  try {
    const file = path.join(zoneinfo, v);
    if (statSync(file).isFile() && readFileSync(file).subarray(0, 4).toString('latin1') === 'TZif') return undefined;
  } catch {
    // fall through: missing
  }
  return `a time zone that exists under ${zoneinfo}`;
}

/** Linux interface names: at most IFNAMSIZ-1 = 15 bytes, no "/", ":" or whitespace, not "." or "..". */
export const ifname: FormatCheck = (v) =>
  /^[A-Za-z0-9_][A-Za-z0-9_.-]{0,14}$/.test(v) && Buffer.byteLength(v) <= 15
    ? undefined
    : 'an interface name (1-15 of A-Z a-z 0-9 _ . -, not starting with "-" or ".")';

export const vmName: FormatCheck = (v) =>
  /^[A-Za-z0-9][A-Za-z0-9_.-]{0,31}$/.test(v) ? undefined : 'a VM name (1-32 of A-Z a-z 0-9 _ . -, starting with a letter or digit)';

export const absolutePath: FormatCheck = (v) =>
  v.startsWith('/') && !CONTROL.test(v) && path.posix.normalize(v) === v && v !== '/'
    ? undefined
    : 'an absolute, normalised path (no "..", "//", trailing "/" or control characters)';

export const cidr: FormatCheck = (v) => {
  const [addr, prefix, extra] = v.split('/');
  const family = net.isIP(addr);
  const max = family === 6 ? 128 : 32;
  if (!family || extra !== undefined || !/^\d{1,3}$/.test(prefix ?? '') || Number(prefix) > max) return 'an address with prefix, e.g. 10.0.0.2/24';
  return undefined;
};

export const ip: FormatCheck = (v) => (net.isIP(v) ? undefined : 'an IP address');

/** Interface.routes: "DST/PREFIX via GATEWAY", both of one family. */
export const route: FormatCheck = (v) => {
  const m = /^(\S+) via (\S+)$/.exec(v);
  const expected = 'a route "DST/PREFIX via GATEWAY", e.g. 10.1.0.0/16 via 10.0.0.1';
  if (!m || cidr(m[1]) || !net.isIP(m[2])) return expected;
  return net.isIP(m[1].split('/')[0]) === net.isIP(m[2]) ? undefined : `${expected} (one address family)`;
};
export const iqn: FormatCheck = (v) =>
  /^(iqn\.\d{4}-\d{2}\.[a-z0-9.-]+(:[A-Za-z0-9.:_-]+)?|eui\.[0-9A-Fa-f]{16})$/.test(v) ? undefined : 'an iSCSI name such as iqn.2003-01.org.example:disk1';
/** An SSID: 1-32 bytes of UTF-8 without control characters (it reaches the supplicant's file hex-encoded). */
export const ssid: FormatCheck = (v) =>
  v.length > 0 && Buffer.byteLength(v) <= 32 && !CONTROL.test(v) ? undefined : 'an SSID (1-32 bytes of UTF-8, no control characters)';
/**
 * A WPA passphrase: 8-63 printable ASCII characters, or the 256-bit PSK itself as 64 hex digits
 * (IEEE 802.11i; what wpa_passphrase derives and Raspberry Pi Imager writes). Never echoed in a message.
 */
export const passphrase: FormatCheck = (v) =>
  /^[\x20-\x7e]{8,63}$/.test(v) || isHexPsk(v) ? undefined : 'a passphrase of 8-63 printable ASCII characters, or a 64-hex-digit PSK';
/** A precomputed WPA PSK (64 hex digits): WPA2-PSK only, as SAE needs the passphrase itself. */
export const isHexPsk = (v: string): boolean => /^[0-9a-fA-F]{64}$/.test(v);
/** An ISO 3166-1 alpha-2 country code: the Wi-Fi regulatory domain. */
export const country: FormatCheck = (v) => (/^[A-Z]{2}$/.test(v) ? undefined : 'a two-letter country code such as DE or US (ISO 3166-1)');
/** A login name as Debian's adduser accepts it by default. */
export const userName: FormatCheck = (v) =>
  /^[a-z_][a-z0-9_-]{0,31}$/.test(v) ? undefined : 'a user name (1-32 of a-z 0-9 _ -, starting with a letter or "_")';
/** A crypt(3) hash as mkpasswd writes it ($y$ yescrypt, $6$ sha512crypt, $5$ sha256crypt...). */
export const passwordHash: FormatCheck = (v) =>
  /^\$[a-z0-9]{1,4}\$[./A-Za-z0-9$=,]{8,}$/.test(v) ? undefined : 'a crypt(3) password hash such as mkpasswd -m yescrypt prints ($y$..., $6$...)';
/** One authorized_keys line without options (no command=, from=...): KEYTYPE BASE64 [COMMENT]. */
export const publicKey: FormatCheck = (v) =>
  /^(ssh-ed25519|ssh-rsa|ecdsa-sha2-nistp(256|384|521)|sk-ssh-ed25519@openssh\.com|sk-ecdsa-sha2-nistp256@openssh\.com) [A-Za-z0-9+/]+={0,3}( .*)?$/.test(v) &&
  !CONTROL.test(v)
    ? undefined
    : 'an OpenSSH public key line "ssh-ed25519 AAAA... comment" (no options)';
/** A local image name (sysdb image import DIR NAME): a directory name under the image store. */
export const imageName: FormatCheck = (v) =>
  /^[a-z0-9][a-z0-9._-]{0,63}$/.test(v) && !v.includes('..') ? undefined : 'an image name (1-64 of a-z 0-9 . _ -, starting with a letter or digit)';
/** A container's command: words split on spaces, no shell; each word printable, none starting with a control character. */
export const command: FormatCheck = (v) =>
  v.trim() === v && v.length > 0 && !CONTROL.test(v) && !v.includes('  ') ? undefined : 'a command of words separated by single spaces (no shell, no quoting)';
/** One environment variable: NAME=VALUE, NAME a shell identifier, VALUE without control characters. */
export const envVar: FormatCheck = (v) =>
  /^[A-Za-z_][A-Za-z0-9_]*=/.test(v) && !CONTROL.test(v) ? undefined : 'NAME=VALUE (NAME a shell identifier; no control characters)';
export const fstype: FormatCheck = (v) => (/^[a-z0-9][a-z0-9_.]*$/.test(v) ? undefined : 'a file system type such as ext4');

/** table.column -> check; the CLI applies these to every value, the agents to every row they act on. */
export const FORMATS: Record<string, FormatCheck> = {
  'System.hostname': hostname,
  'System.timezone': (v) => timezone(v),
  'Interface.name': ifname,
  'Interface.bridge': ifname,
  'Interface.ip': cidr,
  'Interface.gateway': ip,
  'Interface.routes': route,
  'System.dns': ip,
  'System.country': country,
  'Wifi.name': ssid,
  'Wifi.passphrase': passphrase,
  'Wifi.interface': ifname,
  'User.name': userName,
  'User.password_hash': passwordHash,
  'User.authorized_keys': publicKey,
  'VirtualMachine.name': vmName,
  'VirtualMachine.disk': absolutePath,
  'VirtualMachine.kernel': absolutePath,
  'Container.name': vmName,
  'Container.image': imageName,
  'Container.command': command,
  'Container.env': envVar,
  'Container.bridge': ifname,
  'Container.ip': cidr,
  'Container.gateway': ip,
  'Storage.name': vmName,
  'Storage.portal': ip,
  'Storage.target_iqn': iqn,
  'Storage.mount_point': absolutePath,
  'Storage.fstype': fstype,
};

/** Checks of a set column's values together (each value has passed its format). */
export const SET_FORMATS: Record<string, (items: string[]) => string | undefined> = {
  'Interface.gateway': (items) =>
    items.length === 2 && net.isIP(items[0]) === net.isIP(items[1]) ? 'at most one gateway per address family (an IPv4 and an IPv6 one)' : undefined,
};

/** The agents' second check: every formatted column of a row, as "column: expected ..." problems. */
export function rowProblems(table: string, row: Record<string, unknown>, only?: string[]): string[] {
  const problems: string[] = [];
  for (const [key, check] of Object.entries(FORMATS)) {
    const [t, column] = key.split('.');
    if (t !== table || (only && !only.includes(column))) continue;
    const v = row[column];
    for (const item of Array.isArray(v) ? v : v === null || v === undefined ? [] : [v]) {
      const why = typeof item === 'string' ? check(item) : 'a string';
      if (why) problems.push(`${column} ${isSecret(table, column) ? REDACTED : JSON.stringify(item)} rejected: expected ${why}`);
    }
  }
  return problems;
}

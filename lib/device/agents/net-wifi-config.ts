import { pbkdf2Sync } from 'node:crypto';
import type { Row } from '../ovsdb/datum.js';
import { isHexPsk, rowProblems } from '../formats.js';

export const DEFAULT_WIFI_INTERFACE = 'wlan0';
/** The device's directory for the supplicant files; the unit stalker-wpa@.service names the same paths. */
export const WIFI_DIR = '/run/stalker/wifi';

export type Security = 'open' | 'wpa2-psk' | 'wpa3-sae' | 'wpa2-wpa3';

/** One Wifi row as the supplicant gets it: checked, defaults filled in. */
export interface WifiNetwork {
  ssid: string;
  security: Security;
  passphrase?: string;
  hidden: boolean;
  priority?: number;
  iface: string;
}

export const ifaceOf = (row: Row): string => (typeof row.interface === 'string' ? row.interface : DEFAULT_WIFI_INTERFACE);

const hexKey = (row: Row): boolean => typeof row.passphrase === 'string' && isHexPsk(row.passphrase);

/**
 * Unset security means WPA2/WPA3 transition with a passphrase, open without one, and WPA2 with a
 * 64-hex-digit PSK (Raspberry Pi Imager's key: SAE cannot use it).
 */
const securityOf = (row: Row): Security =>
  typeof row.security === 'string' ? (row.security as Security) : typeof row.passphrase !== 'string' ? 'open' : hexKey(row) ? 'wpa2-psk' : 'wpa2-wpa3';

/**
 * Why a row cannot be handed to the supplicant, or undefined. The passphrase is never quoted:
 * rowProblems prints it as "(secret)", and the checks here only say whether it is there.
 */
export function wifiProblem(row: Row): string | undefined {
  const problems = rowProblems('Wifi', row);
  const security = securityOf(row);
  const hasKey = typeof row.passphrase === 'string';
  if (security === 'open' && hasKey) problems.push('security open takes no passphrase (clear it, or choose wpa2-psk, wpa3-sae or wpa2-wpa3)');
  if (security !== 'open' && !hasKey) problems.push(`security ${security} needs a passphrase`);
  if ((security === 'wpa3-sae' || security === 'wpa2-wpa3') && hexKey(row))
    problems.push(`security ${security} needs the passphrase itself: SAE cannot use a 64-hex-digit PSK (only wpa2-psk can)`);
  return problems.length ? problems.join('; ') : undefined;
}

/** A checked row (wifiProblem said nothing) as a network. */
export function networkOf(row: Row): WifiNetwork {
  return {
    ssid: String(row.name),
    security: securityOf(row),
    passphrase: typeof row.passphrase === 'string' ? row.passphrase : undefined,
    hidden: row.hidden === true,
    priority: typeof row.priority === 'number' ? row.priority : undefined,
    iface: ifaceOf(row),
  };
}

/** The SSID as wpa_supplicant's unquoted hex form: any byte, no quoting rules to get wrong. */
export const ssidHex = (ssid: string): string => Buffer.from(ssid, 'utf8').toString('hex');

// key_mgmt and management frame protection: WPA3 requires PMF, transition mode offers it.
const KEY_MGMT: Record<Exclude<Security, 'open'>, string[]> = {
  'wpa2-psk': ['key_mgmt=WPA-PSK'],
  'wpa3-sae': ['key_mgmt=SAE', 'ieee80211w=2'],
  'wpa2-wpa3': ['key_mgmt=WPA-PSK SAE', 'ieee80211w=1'],
};

/** The WPA2 pre-shared key: PBKDF2-HMAC-SHA1(passphrase, SSID, 4096 rounds, 32 bytes), as wpa_passphrase computes it. */
export const wpaPsk = (passphrase: string, ssid: string): string => pbkdf2Sync(passphrase, Buffer.from(ssid, 'utf8'), 4096, 32, 'sha1').toString('hex');

/**
 * The keys go in unquoted hex, never as psk="...": wpa_supplicant's line reader takes a "#" after an
 * even number of quotes for a comment (psk="a"b#c" is cut at the "#"), so a quoted passphrase is not
 * safe for every printable one. psk= takes the derived 64-hex key (or the row's, when it holds one), sae_password= (SAE has no such
 * derivation) the passphrase's bytes in hex; in transition mode each key management uses its own.
 */
function networkBlock(n: WifiNetwork): string[] {
  const lines = [`ssid=${ssidHex(n.ssid)}`];
  if (n.hidden) lines.push('scan_ssid=1');
  if (n.priority !== undefined) lines.push(`priority=${n.priority}`);
  if (n.security === 'open') lines.push('key_mgmt=NONE');
  else {
    const key = n.passphrase ?? '';
    lines.push(...KEY_MGMT[n.security]);
    if (n.security !== 'wpa3-sae') lines.push(`psk=${isHexPsk(key) ? key.toLowerCase() : wpaPsk(key, n.ssid)}`);
    if (n.security !== 'wpa2-psk') lines.push(`sae_password=${Buffer.from(key, 'utf8').toString('hex')}`);
  }
  return ['network={', ...lines.map((l) => `\t${l}`), '}'];
}

/**
 * The whole supplicant file for one interface. Networks keep the order given (the Wifi rows' order
 * as the agent sorts them): list_networks numbers them in file order, which the status relies on.
 * country undefined: no country line, the supplicant stays in the world regulatory domain.
 */
export function renderSupplicantConfig(networks: WifiNetwork[], country: string | undefined, ctrlDir: string): string {
  const head = ['# Written by the stalker net agent from the Sysdb Wifi table. Do not edit.', `ctrl_interface=DIR=${ctrlDir}`];
  if (country) head.push(`country=${country}`);
  head.push('update_config=0');
  return `${[...head, ...networks.flatMap((n) => ['', ...networkBlock(n)])].join('\n')}\n`;
}

// Wi-Fi settings as both Imager formats carry them, to Sysdb's Wifi row.
import { isHexPsk as isPsk } from '../formats.js';

/** A WPA pre-shared key (64 hex digits) in a parsed document, where a value may be anything: formats.ts's check. */
export const isHexPsk = (v: unknown): v is string => typeof v === 'string' && isPsk(v);

/** Imager writes the regulatory domain as typed; Sysdb wants it upper case. */
export const countryCode = (v: unknown): unknown => (typeof v === 'string' && /^[a-zA-Z]{2}$/.test(v.trim()) ? v.trim().toUpperCase() : v);

/**
 * The SSID of rpi-preseed's wlan.ssid_hex (for SSIDs that are not UTF-8): the text when the octets
 * are UTF-8 after all, else undefined (a Sysdb row name is text).
 */
export function ssidFromHex(hex: string): string | undefined {
  if (!/^([0-9a-fA-F]{2}){1,32}$/.test(hex)) return undefined;
  try {
    return new TextDecoder('utf-8', { fatal: true }).decode(Buffer.from(hex, 'hex'));
  } catch {
    return undefined;
  }
}

export const HEX_PSK_REFUSED =
  'the Wi-Fi key is a precomputed WPA PSK (64 hex digits, as Imager writes it), which this Sysdb schema does not accept ' +
  '(Wifi.passphrase takes an 8-63 character passphrase): the network is not configured; add it with sysdb set wifi SSID passphrase -';

import type { CommandRunner } from './command-runner.js';
import type { WifiNetwork } from './net-wifi-config.js';

/** What wpa_cli says about one interface: `status`, `list_networks` and `scan_results`. */
export interface SupplicantView {
  state: Map<string, string>;
  /** The configured networks in list_networks order (= the config file's order), SSIDs as bytes. */
  networks: { id: number; ssid: Buffer; flags: string[] }[];
  scanned: Buffer[];
}

export const wpaCli = (ctrlDir: string, iface: string, ...args: string[]): string[] => ['wpa_cli', '-p', ctrlDir, '-i', iface, ...args];

/**
 * wpa_supplicant prints SSIDs with printf_encode (common.c): \" \\ \e \n \r \t, other bytes outside
 * 0x20..0x7e as \xNN. Decoding back to bytes compares every SSID exactly, UTF-8 or not.
 */
export function printfDecode(s: string): Buffer {
  const out: number[] = [];
  const simple: Record<string, number> = { '"': 0x22, '\\': 0x5c, e: 0x1b, n: 0x0a, r: 0x0d, t: 0x09 };
  for (let i = 0; i < s.length; i++) {
    if (s[i] !== '\\' || i + 1 === s.length) {
      out.push(...Buffer.from(s[i], 'utf8'));
      continue;
    }
    const c = s[++i];
    const hex = /^x([0-9a-fA-F]{1,2})/.exec(s.slice(i));
    const oct = /^[0-7]{1,3}/.exec(s.slice(i));
    if (c in simple) out.push(simple[c]);
    else if (hex) {
      out.push(parseInt(hex[1], 16));
      i += hex[0].length - 1;
    } else if (oct) {
      out.push(parseInt(oct[0], 8) & 0xff);
      i += oct[0].length - 1;
    } else out.push(0x5c, ...Buffer.from(c, 'utf8'));
  }
  return Buffer.from(out);
}

export function parseStatus(stdout: string): Map<string, string> {
  const m = new Map<string, string>();
  for (const line of stdout.split('\n')) {
    const eq = line.indexOf('=');
    if (eq > 0) m.set(line.slice(0, eq), line.slice(eq + 1).replace(/\r$/, ''));
  }
  return m;
}

/** "network id / ssid / bssid / flags" then one tab-separated line per network. */
export function parseListNetworks(stdout: string): SupplicantView['networks'] {
  return stdout
    .split('\n')
    .map((l) => l.replace(/\r$/, '').split('\t'))
    .filter((f) => f.length >= 3 && /^\d+$/.test(f[0]))
    .map(([id, ssid, , flags = '']) => ({ id: Number(id), ssid: printfDecode(ssid), flags: flags.match(/\[[^\]]*\]/g)?.map((f) => f.slice(1, -1)) ?? [] }));
}

/** "bssid / frequency / signal level / flags / ssid": the SSIDs seen by the last scan. */
export function parseScanResults(stdout: string): Buffer[] {
  return stdout
    .split('\n')
    .map((l) => l.replace(/\r$/, '').split('\t'))
    .filter((f) => f.length >= 5 && /^[0-9a-f]{2}(:[0-9a-f]{2}){5}$/i.test(f[0]))
    .map((f) => printfDecode(f.slice(4).join('\t')));
}

/** Asks the running supplicant; undefined when it does not answer (not started yet, or gone). */
export async function readSupplicant(runner: CommandRunner, ctrlDir: string, iface: string): Promise<SupplicantView | undefined> {
  const ask = async (cmd: string) => {
    const r = await runner.run(wpaCli(ctrlDir, iface, cmd));
    return r.code === 0 && !/^FAIL/.test(r.stdout) ? r.stdout : undefined;
  };
  const status = await ask('status');
  if (status === undefined || !status.includes('wpa_state=')) return undefined;
  return {
    state: parseStatus(status),
    networks: parseListNetworks((await ask('list_networks')) ?? ''),
    scanned: parseScanResults((await ask('scan_results')) ?? ''),
  };
}

/**
 * One Wifi row's status. Which network is current comes from status' id= (list_networks' numbering,
 * the config file's order) or else its ssid=, both compared as bytes with the row's SSID.
 */
export function wifiStatus(n: WifiNetwork, view: SupplicantView | undefined): string {
  if (!view) return 'starting';
  const mine = Buffer.from(n.ssid, 'utf8');
  const state = view.state.get('wpa_state') ?? 'UNKNOWN';
  const own = view.networks.find((x) => x.ssid.equals(mine));
  const id = view.state.get('id');
  const currentSsid = view.networks.find((x) => String(x.id) === id)?.ssid ?? (view.state.has('ssid') ? printfDecode(view.state.get('ssid')!) : undefined);
  const associated = state === 'COMPLETED' && currentSsid !== undefined;
  if (associated && currentSsid.equals(mine)) return `associated (${view.state.get('bssid') ?? '?'}, ${view.state.get('freq') ?? '?'} MHz)`;
  if (own?.flags.includes('TEMP-DISABLED'))
    return n.security === 'open' ? 'error: association failed (temporarily disabled)' : 'error: wrong key (authentication failed)';
  if (state === 'INTERFACE_DISABLED') return 'error: interface disabled (rfkill blocked?)';
  // Right after a start the first scan has not finished: no results yet is not "not found". Not
  // in the last scan is "not found" even while another network is joined (standby is for one in reach).
  const scanDone = view.scanned.length > 0 || state !== 'SCANNING';
  if (!n.hidden && scanDone && !view.scanned.some((s) => s.equals(mine))) return 'error: not found';
  if (associated) return 'standby (associated to another network)';
  return `connecting (${state})`;
}

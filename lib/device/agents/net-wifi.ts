import { createHash } from 'node:crypto';
import { readdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import type { Row } from '../ovsdb/datum.js';
import { ifname, rowProblems } from '../formats.js';
import type { AgentContext } from './agent-runtime.js';
import type { CommandRunner } from './command-runner.js';
import { ifaceOf, networkOf, renderSupplicantConfig, WIFI_DIR, wifiProblem, type WifiNetwork } from './net-wifi-config.js';
import { readSupplicant, wifiStatus, wpaCli } from './net-wifi-status.js';
import type { Step } from './plan.js';

export interface WifiOptions {
  /** Supplicant files and control sockets (default <root>/run/stalker/wifi; the unit names /run/stalker/wifi). */
  dir?: string;
  /** Run the supplicant as stalker-wpa@<if>.service (else as a daemon the agent starts itself). */
  systemd?: boolean;
}

/** systemd's instance escaping: "-" in an instance name would come back from %I as "/". */
export const wifiUnit = (iface: string): string => `stalker-wpa@${iface.replace(/-/g, '\\x2d')}.service`;

/** Who keeps a supplicant running for an interface: systemd's unit, or the agent itself without systemd. */
interface Supervisor {
  active(iface: string): Promise<boolean>;
  start(iface: string): Step[];
  stop(iface: string): Step[];
}

const configFile = (dir: string, iface: string) => path.join(dir, `wpa_supplicant-${iface}.conf`);

function supervisor(runner: CommandRunner, dir: string, systemd: boolean): Supervisor {
  const ctrl = path.join(dir, 'ctrl');
  const pinged = async (iface: string) => (await runner.run(wpaCli(ctrl, iface, 'ping'))).stdout.includes('PONG');
  if (systemd)
    return {
      active: async (iface) => (await runner.run(['systemctl', 'is-active', '--quiet', wifiUnit(iface)])).code === 0,
      start: (iface) => [{ kind: 'run', argv: ['systemctl', 'start', wifiUnit(iface)] }],
      stop: (iface) => [{ kind: 'run', argv: ['systemctl', 'stop', wifiUnit(iface)] }],
    };
  return {
    active: pinged,
    // The unit's command line, daemonised: no -d/-K, so neither debug output nor keys get logged.
    start: (iface) => [
      {
        kind: 'run',
        argv: ['wpa_supplicant', '-B', '-i', iface, '-D', 'nl80211', '-c', configFile(dir, iface), '-P', path.join(dir, `wpa_supplicant-${iface}.pid`)],
      },
    ],
    stop: (iface) => [{ kind: 'run', argv: wpaCli(ctrl, iface, 'terminate') }],
  };
}

/** A wpa_cli that answers FAIL exits 0; as a step that is a failure. */
function failingOnFail(runner: CommandRunner): CommandRunner {
  return {
    run: async (argv) => {
      const r = await runner.run(argv);
      return argv[0] === 'wpa_cli' && r.code === 0 && /^FAIL/.test(r.stdout) ? { ...r, code: 1, stderr: r.stdout } : r;
    },
  };
}

export interface WifiPass {
  ctx: AgentContext;
  runner: CommandRunner;
  root: string;
  options?: WifiOptions;
  /** Links that exist now (the net agent's observation). */
  links: { has(name: string): boolean };
  /** Runs steps through ctx.step; returns the first failed step's description. */
  run(steps: Step[], runner: CommandRunner): Promise<string | undefined>;
  /** Networks whose key was refused, by interface and SSID -> the row's values then (kept by the agent across passes). */
  refusedKeys?: Map<string, string>;
}

/**
 * A refused key shows in list_networks only while the supplicant backs off (TEMP-DISABLED for 10 s,
 * 20 s, ...); in between it tries again and says 4WAY_HANDSHAKE. So "wrong key" sticks until the row
 * changes (a new passphrase) or the network is joined, instead of flickering back to "connecting".
 */
export function stickyStatus(status: string, net: WifiNetwork, iface: string, memory: Map<string, string> | undefined): string {
  if (!memory) return status;
  const key = `${iface}\u0000${net.ssid}`;
  const values = createHash('sha256')
    .update(JSON.stringify([net.security, net.passphrase ?? null, net.hidden]))
    .digest('hex');
  if (/^error: wrong key/.test(status)) memory.set(key, values);
  else if (/^associated/.test(status) || memory.get(key) !== values) memory.delete(key);
  else if (/^connecting/.test(status)) return 'error: wrong key (authentication failed)';
  return status;
}

/** Interfaces that have a supplicant file now: a row gone since (even across agent restarts) still gets its file removed. */
async function filedInterfaces(dir: string): Promise<string[]> {
  const names = await readdir(dir).catch(() => [] as string[]);
  return names.map((n) => /^wpa_supplicant-(.+)\.conf$/.exec(n)?.[1]).filter((i): i is string => i !== undefined && !ifname(i));
}

/** Steps for one interface: its file (a secret write, only when it differs), then the supplicant started, told, or stopped. */
async function interfaceSteps(iface: string, content: string | undefined, dir: string, linkExists: boolean, sup: Supervisor): Promise<Step[]> {
  const file = configFile(dir, iface);
  const now = await readFile(file, 'utf8').catch(() => undefined);
  if (content === undefined) return now === undefined ? [] : [...((await sup.active(iface)) ? sup.stop(iface) : []), { kind: 'remove', path: file }];
  const steps: Step[] = now === content ? [] : [{ kind: 'write', path: file, content, secret: true }];
  // No device, no supplicant: it would exit at once and keep restarting. The file waits for the device.
  if (!linkExists) return steps;
  if (!(await sup.active(iface))) return [...steps, ...sup.start(iface)];
  return steps.length ? [...steps, { kind: 'run', argv: wpaCli(path.join(dir, 'ctrl'), iface, 'reconfigure') }] : [];
}

/** The Wifi table: one supplicant file per interface, the supplicant kept running on it, a status per row. */
export async function wifiSteps(p: WifiPass, rows: Row[], sys: Row | undefined): Promise<void> {
  const { ctx } = p;
  const dir = p.options?.dir ?? path.join(p.root, WIFI_DIR);
  const ctrl = path.join(dir, 'ctrl');
  const runner = failingOnFail(p.runner);
  const sup = supervisor(runner, dir, p.options?.systemd ?? false);
  const country = sys && typeof sys.country === 'string' && !rowProblems('System', sys, ['country']).length ? sys.country : undefined;

  const byIface = new Map<string, { row: Row; net: WifiNetwork }[]>();
  const refused = new Map<Row, string>();
  for (const row of rows) {
    const problem = wifiProblem(row);
    ctx.reject('Wifi', String(row.name), problem);
    if (problem) refused.set(row, problem);
    else byIface.set(ifaceOf(row), [...(byIface.get(ifaceOf(row)) ?? []), { row, net: networkOf(row) }]);
  }
  const ifaces = new Set([...byIface.keys(), ...(await filedInterfaces(dir))]);
  const failures = new Map<string, string>();
  for (const iface of [...ifaces].sort()) {
    // Sorted by SSID bytes: the file depends on the rows only, so an unchanged table writes nothing.
    const nets = (byIface.get(iface) ?? []).sort((a, b) => Buffer.compare(Buffer.from(a.net.ssid), Buffer.from(b.net.ssid)));
    byIface.set(iface, nets);
    const content = nets.length
      ? renderSupplicantConfig(
          nets.map((n) => n.net),
          country,
          ctrl,
        )
      : undefined;
    const failure = await p.run(await interfaceSteps(iface, content, dir, p.links.has(iface), sup), runner);
    if (failure) failures.set(iface, failure);
  }

  for (const [row, problem] of refused) await ctx.observe('Wifi', row, { status: `error: ${problem}` });
  for (const [iface, nets] of byIface) {
    const failure = failures.get(iface);
    const view = ctx.dryRun || failure || !p.links.has(iface) ? undefined : await readSupplicant(p.runner, ctrl, iface);
    for (const { row, net } of nets) {
      const status = !p.links.has(iface)
        ? `error: no such device ${iface}`
        : failure
          ? `error: failed: ${failure}`
          : stickyStatus(wifiStatus(net, view), net, iface, p.refusedKeys);
      await ctx.observe('Wifi', row, { status });
    }
  }
}

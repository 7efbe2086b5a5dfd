import path from 'node:path';
import { readFile } from 'node:fs/promises';
import type { Row } from '../ovsdb/datum.js';
import type { Agent, AgentContext } from './agent-runtime.js';
import type { CommandRunner } from './command-runner.js';
import { hostname as hostnameFormat, rowProblems, SET_FORMATS, timezone as timezoneFormat, ZONEINFO } from '../formats.js';
import { observeNet, vsctl, type NetState } from './net-observe.js';
import { addressSteps, type AddressPlan } from './net-addresses.js';
import { dhcpSteps, dnsSteps } from './net-dropins.js';
import { ManagedAddresses } from './net-managed.js';
import { routeSteps } from './net-routes.js';
import { wifiSteps, type WifiOptions } from './net-wifi.js';
import { applyStep, describeStep, readlinkOr, type Step } from './plan.js';

export interface NetAgentOptions {
  runner: CommandRunner;
  /** Files (/etc/hostname, /etc/localtime, journald drop-in) are written under this root; "/" on the device. */
  root: string;
  ovsDb?: string;
  datapath: 'system' | 'netdev';
  bridge?: string;
  intervalMs?: number;
  /** Where time zones are checked to exist (the /etc/localtime target's directory). */
  zoneinfo?: string;
  /** Where the addresses it added are remembered across agent restarts (device: /run/stalker/net-addresses.json). */
  stateFile?: string;
  /** Commands that make systemd-networkd / systemd-resolved reread their drop-ins (none without systemd). */
  reload?: { networkd?: string[]; resolved?: string[] };
  /** The Wifi table's supplicants; systemd (stalker-wpa@<if>.service) by default when reload is set, as main.ts sets it only under systemd. */
  wifi?: WifiOptions;
}

const JOURNALD_LEVEL: Record<string, string> = { debug: 'debug', info: 'info', warning: 'warning', error: 'err' };

/** Steps for the System row, and the values refused (they go to System.status, never to a command). */
async function systemSteps(sys: Row | undefined, now: NetState, o: NetAgentOptions): Promise<{ steps: Step[]; rejected: string[] }> {
  const steps: Step[] = [];
  const rejected: string[] = [];
  if (!sys) return { steps, rejected };
  const at = (p: string) => path.join(o.root, p);
  const zoneinfo = o.zoneinfo ?? ZONEINFO;
  const hostWhy = typeof sys.hostname === 'string' ? hostnameFormat(sys.hostname) : undefined;
  const tzWhy = typeof sys.timezone === 'string' ? timezoneFormat(sys.timezone, zoneinfo) : undefined;
  if (hostWhy) rejected.push(`hostname ${JSON.stringify(sys.hostname)} rejected: expected ${hostWhy}`);
  if (tzWhy) rejected.push(`timezone ${JSON.stringify(sys.timezone)} rejected: expected ${tzWhy}`);
  if (typeof sys.hostname === 'string' && !hostWhy && sys.hostname !== now.hostname) {
    steps.push({ kind: 'run', argv: ['hostname', '--', sys.hostname] }, { kind: 'write', path: at('etc/hostname'), content: `${sys.hostname}\n` });
  }
  const zone = `${zoneinfo}/${sys.timezone}`;
  if (typeof sys.timezone === 'string' && !tzWhy && (await readlinkOr(at('etc/localtime'))) !== zone) {
    steps.push({ kind: 'symlink', path: at('etc/localtime'), target: zone }, { kind: 'write', path: at('etc/timezone'), content: `${sys.timezone}\n` });
  }
  if (typeof sys.log_level === 'string') {
    const file = at('etc/systemd/journald.conf.d/stalker-log-level.conf');
    const content = `[Journal]\nMaxLevelStore=${JOURNALD_LEVEL[sys.log_level]}\n`;
    if ((await readFile(file, 'utf8').catch(() => '')) !== content) steps.push({ kind: 'write', path: file, content });
  }
  const dnsWhy = rowProblems('System', sys, ['dns']);
  rejected.push(...dnsWhy);
  // A refused country only leaves the supplicant in the world regulatory domain (net-wifi.ts).
  rejected.push(...rowProblems('System', sys, ['country']));
  if (!dnsWhy.length) steps.push(...(await dnsSteps(o.root, sys, o.reload?.resolved)));
  return { steps, rejected };
}

/** Bridges and their ports (interfaces with a bridge, VM taps vi<id> on the main bridge, container veths vi<id> on theirs) with VLAN tags. */
function ovsSteps(ifaces: Row[], vms: Row[], now: NetState, o: NetAgentOptions, containers: Row[] = []): Step[] {
  const main = o.bridge ?? 'br0';
  const want = new Map<string, Map<string, number | null>>([[main, new Map()]]);
  for (const i of ifaces) {
    if (typeof i.bridge !== 'string' || !now.links.has(String(i.name)) || rowProblems('Interface', i).length) continue;
    if (!want.has(i.bridge)) want.set(i.bridge, new Map());
    want.get(i.bridge)!.set(String(i.name), (i.vlan as number | null) ?? null);
  }
  for (const vm of vms) if (now.links.has(`vi${vm.id}`)) want.get(main)!.set(`vi${vm.id}`, null);
  // The container agent only makes the veth: its bridge port is this agent's, like a tap's. A bridge
  // the container names but nobody made is not created here (the container agent reports it missing).
  // On a bridge this agent does not manage (made by hand), the port is added but nothing else there is touched.
  const unmanaged: [string, string, number | null][] = [];
  for (const ct of containers) {
    const br = typeof ct.bridge === 'string' ? ct.bridge : main;
    const port = `vi${ct.id}`;
    const tag = (ct.vlan as number | null) ?? null;
    if (!now.links.has(port) || rowProblems('Container', ct, ['bridge']).length) continue;
    if (want.has(br)) want.get(br)!.set(port, tag);
    else if (now.ports.has(br) && !now.ports.get(br)!.has(port)) unmanaged.push([br, port, tag]);
  }
  const steps: Step[] = [];
  const run = (...args: string[]) => steps.push({ kind: 'run', argv: vsctl(o.ovsDb, ...args) });
  for (const [br, port, tag] of unmanaged) run('--may-exist', 'add-port', br, port, ...(tag === null ? [] : ['--', 'set', 'port', port, `tag=${tag}`]));
  for (const [br, ports] of want) {
    const have = now.ports.get(br);
    if (!have) run('--may-exist', 'add-br', br, '--', 'set', 'bridge', br, `datapath_type=${o.datapath}`);
    for (const [port, tag] of ports) {
      if (!have?.has(port)) run('--may-exist', 'add-port', br, port, ...(tag === null ? [] : ['--', 'set', 'port', port, `tag=${tag}`]));
      else if (have.get(port) !== tag) run(...(tag === null ? ['clear', 'port', port, 'tag'] : ['set', 'port', port, `tag=${tag}`]));
    }
    for (const port of have?.keys() ?? []) if (!ports.has(port)) run('--if-exists', 'del-port', br, port);
  }
  return steps;
}

/** A link's steps, and its address plan (none when the link is missing). */
async function linkSteps(i: Row, now: NetState, state: ManagedAddresses, o: NetAgentOptions): Promise<{ steps: Step[]; addrs?: AddressPlan }> {
  const link = now.links.get(String(i.name));
  if (!link) return { steps: [] };
  const dev = link.name;
  const steps: Step[] = await dhcpSteps(o.root, i, o.reload?.networkd);
  if (typeof i.mtu === 'number' && i.mtu !== link.mtu) steps.push({ kind: 'run', argv: ['ip', 'link', 'set', 'dev', dev, 'mtu', String(i.mtu)] });
  // An OVS bridge's own port is created down: a row for it (the device's side of the bridge, as an
  // address on br0) means up unless it says down; other links keep their state unless the row names one.
  const admin = i.admin_state ? String(i.admin_state) : now.ports.has(dev) ? 'up' : undefined;
  if (admin && (admin === 'up') !== link.up) steps.push({ kind: 'run', argv: ['ip', 'link', 'set', 'dev', dev, admin] });
  const addrs = addressSteps(dev, i.ip, link, state.mine(dev), i.dhcp === false);
  // Addresses before routes: a gateway must be on a subnet the link has.
  return { steps: [...steps, ...addrs.steps, ...routeSteps(dev, i, now.routes.get(dev) ?? [])], addrs };
}

async function runSteps(ctx: AgentContext, steps: Step[], runner: CommandRunner): Promise<string | undefined> {
  let failure: string | undefined;
  for (const s of steps) {
    if (!(await ctx.step(describeStep(s), () => applyStep(s, runner)))) failure ??= describeStep(s);
  }
  return failure;
}

/** Why a row cannot be acted on, or undefined: its values are checked again here, not only by the CLI. */
function interfaceProblem(i: Row): string | undefined {
  const problems = rowProblems('Interface', i);
  if (typeof i.vlan === 'number' && typeof i.bridge !== 'string') problems.push(`vlan ${i.vlan} needs a bridge (a VLAN tag is set on the bridge port)`);
  const gateways = Array.isArray(i.gateway) ? SET_FORMATS['Interface.gateway'](i.gateway.map(String)) : undefined;
  if (gateways) problems.push(`gateway ${JSON.stringify(i.gateway)} rejected: expected ${gateways}`);
  return problems.length ? problems.join('; ') : undefined;
}

export function netAgent(o: NetAgentOptions): Agent {
  // Addresses this agent put on each link ("ip none", or a smaller set, removes exactly those): read
  // from the state file on the first pass, where there is a logger for a damaged file.
  let state: ManagedAddresses | undefined;
  // Wi-Fi networks whose key the access point refused (net-wifi.ts: the status sticks until the row changes)
  const refusedKeys = new Map<string, string>();
  return {
    name: 'net',
    tables: { System: {}, Interface: {}, VirtualMachine: { columns: ['id'] }, Container: { columns: ['name', 'id', 'bridge', 'vlan'] }, Wifi: {} },
    intervalMs: o.intervalMs ?? 5000,
    async reconcile(ctx) {
      const ifaces = ctx.rows('Interface');
      const managed = (state ??= ManagedAddresses.load(o.stateFile, ctx.log));
      let now = await observeNet(o.runner, o.ovsDb);
      const sys = ctx.rows('System')[0];
      const system = await systemSteps(sys, now, o);
      const sysFailure = await runSteps(ctx, system.steps, o.runner);
      const sysProblems = [...system.rejected, ...(sysFailure ? [`failed: ${sysFailure}`] : [])];
      ctx.reject('System', '.', system.rejected.length ? system.rejected.join('; ') : undefined);
      if (sys) await ctx.observe('System', sys, { status: sysProblems.length ? `error: ${sysProblems.join('; ')}` : 'ok' });
      const ovsFailure = await runSteps(ctx, ovsSteps(ifaces, ctx.rows('VirtualMachine'), now, o, ctx.rows('Container')), o.runner);
      // Bridges created just now exist as links only from here on, so look again before link settings.
      if (!ctx.dryRun) now = await observeNet(o.runner, o.ovsDb);
      for (const i of ifaces) {
        const problem = interfaceProblem(i);
        ctx.reject('Interface', String(i.name), problem);
        if (problem) {
          await ctx.observe('Interface', i, { status: `error: ${problem}` });
          continue;
        }
        const plan = await linkSteps(i, now, managed, o);
        const remember = (addrs: Set<string> | undefined) => {
          if (!addrs || ctx.dryRun) return;
          managed.record(String(i.name), addrs);
          managed.save(ctx.log);
        };
        // Saved before the steps run too: an agent killed between adding an address and saving would
        // leave one that no later agent knows to remove. After a failed step, the wider set stays.
        remember(plan.addrs?.during);
        const failure = await runSteps(ctx, plan.steps, o.runner);
        if (!failure) remember(plan.addrs?.after);
        const missing = !now.links.has(String(i.name)) && !ctx.dryRun;
        const portFailed = typeof i.bridge === 'string' && ovsFailure?.includes(` ${i.name}`);
        await ctx.observe('Interface', i, {
          status: missing ? 'error: no such device' : failure ? `error: ${failure}` : portFailed ? `error: ${ovsFailure}` : 'ok',
        });
      }
      // After the links: the supplicant brings a wlan link up itself, and its DHCP is networkd's (30-wireless.network).
      const wifi = { ...o.wifi, systemd: o.wifi?.systemd ?? o.reload !== undefined };
      await wifiSteps(
        { ctx, runner: o.runner, root: o.root, options: wifi, links: now.links, run: (steps, runner) => runSteps(ctx, steps, runner), refusedKeys },
        ctx.rows('Wifi'),
        sys,
      );
    },
  };
}

import { SysdbError } from '../errors.js';
import type { CommandRunner } from './command-runner.js';

export interface Link {
  name: string;
  mtu: number;
  up: boolean;
  addrs: string[];
  /** Addresses with a lifetime: a DHCP client's lease or SLAAC, not ours to remove unless DHCP is turned off. */
  dynamic: string[];
}
export interface NetState {
  hostname: string;
  links: Map<string, Link>;
  ports: Map<string, Map<string, number | null>>;
  /** Routes this agent added (protocol ROUTE_PROTO), per device, as "dst via gateway". */
  routes: Map<string, string[]>;
}

/** The routing protocol number the net agent marks its routes with, so it finds them again after a restart. */
export const ROUTE_PROTO = '241';

async function out(runner: CommandRunner, argv: string[]): Promise<string> {
  const r = await runner.run(argv);
  if (r.code !== 0) throw new SysdbError('COMMAND_FAILED', `${argv.join(' ')} exited ${r.code}: ${r.stderr.trim()}`);
  return r.stdout;
}

export function vsctl(ovsDb: string | undefined, ...args: string[]): string[] {
  return ['ovs-vsctl', '--timeout=10', ...(ovsDb ? [`--db=${ovsDb}`] : []), ...args];
}

/** What the system looks like now: the plan is the difference, so a converged system yields no steps. */
export async function observeNet(runner: CommandRunner, ovsDb: string | undefined): Promise<NetState> {
  const hostname = (await out(runner, ['hostname'])).trim();
  const addr = JSON.parse(await out(runner, ['ip', '-j', 'addr', 'show'])) as {
    ifname: string;
    mtu: number;
    flags: string[];
    addr_info?: { family: string; local: string; prefixlen: number; scope: string; dynamic?: boolean }[];
  }[];
  const links = new Map<string, Link>();
  for (const l of addr) {
    const global = (l.addr_info ?? []).filter((a) => a.scope === 'global');
    const cidr = (a: { local: string; prefixlen: number }) => `${a.local}/${a.prefixlen}`;
    links.set(l.ifname, {
      name: l.ifname,
      mtu: l.mtu,
      up: l.flags.includes('UP'),
      addrs: global.map(cidr),
      dynamic: global.filter((a) => a.dynamic).map(cidr),
    });
  }
  const routes = new Map<string, string[]>();
  for (const family of ['-4', '-6']) {
    const list = JSON.parse(await out(runner, ['ip', family, '-j', 'route', 'show', 'proto', ROUTE_PROTO])) as {
      dst: string;
      gateway?: string;
      dev?: string;
    }[];
    for (const r of list) if (r.dev && r.gateway) routes.set(r.dev, [...(routes.get(r.dev) ?? []), `${r.dst} via ${r.gateway}`]);
  }
  const ports = new Map<string, Map<string, number | null>>();
  const tags = JSON.parse(await out(runner, vsctl(ovsDb, '--format=json', '--columns=name,tag', 'list', 'Port'))) as {
    data: [string, number | ['set', number[]]][];
  };
  const tagOf = new Map(tags.data.map(([n, t]) => [n, typeof t === 'number' ? t : (t[1][0] ?? null)]));
  for (const br of (await out(runner, vsctl(ovsDb, 'list-br'))).split('\n').filter(Boolean)) {
    const names = (await out(runner, vsctl(ovsDb, 'list-ports', br))).split('\n').filter(Boolean);
    ports.set(br, new Map(names.map((p) => [p, tagOf.get(p) ?? null])));
  }
  return { hostname, links, ports, routes };
}

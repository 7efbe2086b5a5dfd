import { execFileSync } from 'node:child_process';
import net from 'node:net';
import os from 'node:os';
import type { Change } from '../changes.js';
import { SysdbError } from '../errors.js';
import { stringsOf, type Value } from '../ovsdb/datum.js';

/** The device end of the ssh session a command came over: the address and the link that has it. */
export interface Session {
  address: string;
  cidr: string;
  iface: string;
  /** A DHCP lease or SLAAC address (it has a lifetime): the net agent leaves it unless DHCP is turned off. */
  dynamic: boolean;
}

function leased(iface: string, address: string): boolean {
  try {
    const out = execFileSync('ip', ['-j', 'addr', 'show', 'dev', iface], { encoding: 'utf8', timeout: 5000, stdio: ['ignore', 'pipe', 'ignore'] });
    const [link] = JSON.parse(out) as { addr_info?: { local: string; dynamic?: boolean }[] }[];
    return !!link?.addr_info?.some((a) => a.local === address && a.dynamic);
  } catch {
    return false; // unknown: treated as static, so the guard errs on the side of asking
  }
}

/** sshd's SSH_CONNECTION is "client port server port": the server address is the device's. */
export function sshSession(env: NodeJS.ProcessEnv = process.env): Session | undefined {
  const address = (env.SSH_CONNECTION ?? '').split(' ')[2]?.replace(/%.*$/, '');
  if (!address || !net.isIP(address)) return undefined;
  for (const [iface, addrs] of Object.entries(os.networkInterfaces())) {
    const a = addrs?.find((x) => x.address === address);
    if (a?.cidr && !a.internal) return { address, cidr: a.cidr, iface, dynamic: leased(iface, address) };
  }
  return undefined;
}

const family = (cidr: string) => net.isIP(cidr.split('/')[0]);

/** Why applying the changes would cut the session (the net agent would take its address or link away), or undefined. */
export function cutsSession(changes: Change[], s: Session): string | undefined {
  for (const c of changes) {
    if (c.table !== 'Interface' || c.key !== s.iface || c.op === 'delete') continue;
    const before = (col: string): Value => (c.op === 'modify' ? (c.set[col]?.from ?? null) : null);
    const after = (col: string): Value | undefined => (c.op === 'modify' ? (col in c.set ? c.set[col].to : undefined) : (c.values[col] ?? null));
    const why = `${s.address} on ${s.iface}`;
    if (after('admin_state') === 'down') return `${why}: admin_state down takes the link down`;
    if (typeof after('bridge') === 'string') return `${why}: a bridge port has no address of its own`;
    const ip = after('ip');
    const named = stringsOf(ip).some((a) => a.split('/')[0] === s.address);
    if (after('dhcp') === false && s.dynamic && !named) return `${why} is a DHCP lease, and dhcp false drops it`;
    if (ip !== undefined && !named && !s.dynamic) {
      const removes = stringsOf(before('ip')).some((a) => a.split('/')[0] === s.address) || stringsOf(ip).some((a) => family(a) === net.isIP(s.address));
      if (removes) return `${why} is not in the new ip list, so the net agent removes it`;
    }
  }
  return undefined;
}

/** Refuses (nothing written) a change that would cut the ssh session it came over, unless forced. */
export function guardSession(changes: Change[], force: boolean, env: NodeJS.ProcessEnv = process.env): void {
  if (force) return;
  const session = sshSession(env);
  const why = session && cutsSession(changes, session);
  if (why)
    throw new SysdbError(
      'WOULD_DISCONNECT',
      `this would cut the ssh session it came over (${why}); nothing written: run it again with --force to do it anyway`,
    );
}
